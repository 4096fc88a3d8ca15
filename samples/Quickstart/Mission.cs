using System.Diagnostics;
using System.Globalization;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Steering.Eval.Features;
using DiffusionSteering.Steering.Eval.Metrics;
using DiffusionSteering.Steering.Eval.Quality;
using DiffusionSteering.Steering.Eval.Reports;
using DiffusionSteering.Steering.Eval.Scorers;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Steering.Schedules.Commitment;
using DiffusionSteering.Steering.Schedules.Directions;
using DiffusionSteering.Steering.Schedules.Interventions;
using DiffusionSteering.Steering.Schedules.Schedules;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Samples.Quickstart;

/// <summary>
/// The whole mission on one model: find each attribute's contrastive SAE features, measure when the attribute commits
/// during denoising, then generate with no steering, uniform steering and adaptive steering at matched budget — single
/// attributes and all at once — and measure strength, joint success and fluency with 95% bootstrap intervals.
/// </summary>
internal sealed class Mission(MissionOptions options, TextWriter log)
{
    private static readonly string[] PromptTexts =
    [
        "The", "I think", "This is", "In the", "It was", "We have", "There is", "My",
        "When the", "If you", "One of the", "After the", "They", "Today", "She said", "All of",
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Log(string message) => log.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {message}");

    private static string F(double value, int decimals = 3) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>One steerable attribute: its labelled sets, scorer, steering features and direction.</summary>
    private sealed class Attribute : IDisposable
    {
        public required string Name { get; init; }
        public required string Target { get; init; }
        public required NGramTextClassifier Scorer { get; init; }
        public required ScorerEvaluation HeldOut { get; init; }
        public required IReadOnlyList<long> Features { get; init; }
        public required SteeringDirection Direction { get; init; }
        public CommitmentProfile? Profile { get; set; }
        public int TargetIndex => Scorer.Classes.ToList().IndexOf(Target);
        public void Dispose() => Direction.Dispose();
    }

    private sealed record Run(string Task, string Method, double Alpha, List<long[]> Generated, List<string> Texts);

    public void Execute(CancellationToken cancellationToken)
    {
        set_num_threads(Math.Max(1, Math.Min(Environment.ProcessorCount, 2)));
        manual_seed(0);
        Directory.CreateDirectory(options.OutputFolder);
        using var noGrad = no_grad();

        // ---- 1. the model, its tokenizer and SAE
        var tokenizer = Tokenizer.FromFile(Path.Combine(options.ModelFolder, "tokenizer.json"));
        using var model = DenoiserLoader.CreateDefault().Load(options.ModelFolder);
        using var sae = SaeLoader.Load(options.SaeFolder, model.Spec.HiddenSize);
        var layer = sae.Metadata.Layer ?? model.Spec.NumLayers / 2;
        Log($"model {model.Spec.ModelType}: {model.Spec.NumLayers} layers, d={model.Spec.HiddenSize}, vocab {model.Spec.VocabSize}; " +
            $"SAE at layer {layer}: d_sae={sae.DSae}, k={sae.Config.K}");

        var (prompts, promptMask, promptLength) = BuildPrompts(tokenizer, model);
        var rows = options.Prompts * options.SeedsPerPrompt;
        var seeds = Enumerable.Range(0, rows).Select(i => (ulong)(1000 + i)).ToArray();
        var sampler = new LladaSampler(new LladaSamplerOptions
        {
            Steps = options.Steps, GenLength = options.GenLength, BlockLength = options.GenLength, Temperature = options.Temperature,
            Remasking = options.Temperature == 0 ? LladaRemasking.Random : LladaRemasking.LowConfidence,
        });

        // ---- 2. attributes: scorers, contrastive features, directions
        var attributes = new List<Attribute>();
        foreach (var (name, target) in new[] { ("sentiment", "pos"), ("topic", "politics"), ("formality", "formal") })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var attribute = BuildAttribute(name, target, tokenizer, model, sae, layer, cancellationToken);
            if (attribute is not null) attributes.Add(attribute);
        }
        if (attributes.Count == 0) throw new InvalidOperationException($"no labelled sets found under {options.SetsFolder}");

        // ---- 3. commitment schedules
        foreach (var attribute in attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var recorder = new CommitmentRecorder(sae, layer, attribute.Features, generatedFrom: promptLength);
            var commitmentSeeds = Enumerable.Range(0, options.CommitmentSamples).Select(i => (ulong)(50_000 + i)).ToArray();
            var commitmentPrompts = RepeatRows(prompts, options.CommitmentSamples);
            var commitmentMask = RepeatRows(promptMask, options.CommitmentSamples);
            var (profile, confidences) = CommitmentMeasurement.Measure(
                (request, ct) => sampler.Sample(model, request, ct),
                commitmentPrompts, commitmentSeeds, recorder,
                ids => attribute.Scorer.ProbabilityOf(Decode(tokenizer, model, ids, promptLength), attribute.Target),
                threshold: 0.6, model: Path.GetFileName(Path.GetFullPath(options.ModelFolder).TrimEnd('/')), attribute: $"{attribute.Name}:{attribute.Target}",
                batchSize: 16, smoothingWindow: 3, attentionMask: commitmentMask, minimumKept: 4, cancellationToken: cancellationToken);
            attribute.Profile = profile;
            profile.Save(Path.Combine(options.OutputFolder, $"commitment-{attribute.Name}.json"));
            Log($"{attribute.Name}: commitment from {profile.SamplesKept}/{profile.SamplesRecorded} samples; block fractions " +
                $"[{string.Join(" ", profile.BlockFractions.Select(f => F(f, 2)))}], CV={F(profile.CoefficientOfVariation)}, predicted ρ={F(profile.PredictedEfficiencyRatio)}");
        }

        // ---- 4. generation: none, uniform, adaptive; single attributes and all together
        var residualScale = MeanResidualNorm(model, layer, prompts, promptMask);
        Log($"mean residual norm at layer {layer}: {F(residualScale)} (steering strengths are multiples of it)");
        var runs = new List<Run>();
        Run Generate(string task, string method, double alpha, IReadOnlyList<IResidualIntervention> interventions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var generated = new List<long[]>();
            for (var start = 0; start < rows; start += 16)
            {
                using var scope = NewDisposeScope();
                var count = Math.Min(16, rows - start);
                using var result = sampler.Sample(model, new SamplingRequest
                {
                    PromptIds = prompts.narrow(0, start, count), AttentionMask = promptMask.narrow(0, start, count),
                    Seeds = seeds.Skip(start).Take(count).ToArray(), Interventions = interventions,
                }, cancellationToken);
                var length = (int)result.Sequences.size(1);
                var ids = result.Sequences.data<long>();
                for (var r = 0; r < count; r++) generated.Add(ids.AsSpan(r * length + promptLength, length - promptLength).ToArray());
            }
            var run = new Run(task, method, alpha, generated, generated.Select(g => DecodeGenerated(tokenizer, model, g)).ToList());
            Log($"generated {task} / {method}{(alpha > 0 ? " α=" + F(alpha, 1) : "")}");
            return run;
        }

        var baseline = Generate("all", "none", 0, []);
        runs.Add(baseline);
        var tasks = attributes.Select(a => (name: a.Name, members: (IReadOnlyList<Attribute>)[a])).ToList();
        if (attributes.Count > 1) tasks.Add(("all", attributes));
        foreach (var (taskName, members) in tasks)
            foreach (var alpha in options.Strengths)
            {
                var strength = alpha * residualScale;
                runs.Add(Generate(taskName, "uniform", alpha, members.Select(a => (IResidualIntervention)new FeatureSteering(
                    model, a.Direction, new UniformSchedule(strength), layer, HookPoint.ResidPost, TokenScope.Masked, name: a.Name)).ToList()));
                runs.Add(Generate(taskName, "adaptive", alpha, members.Select(a => (IResidualIntervention)new FeatureSteering(
                    model, a.Direction, new AdaptiveSchedule(a.Profile!, strength), layer, HookPoint.ResidPost, TokenScope.Masked, name: a.Name)).ToList()));
            }

        // ---- 5. measurement and report
        var bootstrap = new BootstrapOptions { Resamples = options.BootstrapResamples, Seed = 7 };
        var quality = new Dictionary<Run, (NllSummary nll, double distinct2, ConfidenceInterval repetition)>();
        foreach (var run in runs)
        {
            var nonEmpty = run.Generated.Select(g => TokenDiversity.TrimTrailing(g, EndIds(model))).ToList();
            var promptsForNll = Enumerable.Range(0, rows).Select(i => (IReadOnlyList<long>)PromptIds(prompts, promptMask, i)).ToList();
            var nll = DlmNll.EstimateMany(model, nonEmpty.Select(g => (IReadOnlyList<long>)(g.Length > 0 ? g : [model.Spec.EosTokenId ?? 0])),
                promptsForNll, new DlmNllOptions { Draws = options.NllDraws, Seed = 11 }, cancellationToken);
            var distinct = TokenDiversity.DistinctN(nonEmpty.Select(g => (IReadOnlyList<long>)g), 2);
            var repetition = TokenDiversity.MeanRepetitionRate(nonEmpty.Where(g => g.Length >= 2).Select(g => (IReadOnlyList<long>)g), 2);
            quality[run] = (nll, distinct.TotalNGrams > 0 ? (double)distinct.UniqueNGrams / distinct.TotalNGrams : 0, repetition);
        }
        Log("quality measured");

        int[] Predictions(Attribute a, Run run) => run.Texts.Select(t => a.Scorer.Classify(t)).ToArray();
        ConfidenceInterval Strength(Attribute a, Run run) => SteeringStrength.Compute(Predictions(a, run), a.TargetIndex, bootstrap);

        var table = new List<string[]>();
        var header = new[] { "task", "method", "α", "strength (target class) [95% CI]", "joint success", "NLL/token [95% CI]", "distinct-2", "repetition-2" };
        foreach (var run in runs)
        {
            var members = run.Task == "all" ? attributes : attributes.Where(a => a.Name == run.Task).ToList();
            var strengths = string.Join("; ", members.Select(a => $"{a.Name} {Interval(Strength(a, run))}"));
            var joint = members.Count > 1
                ? Interval(JointSteeringSuccess.Compute(members.Select(a => Predictions(a, run)).ToList(), members.Select(a => a.TargetIndex).ToList(), bootstrap).AllTargets)
                : "";
            var (nll, distinct2, repetition) = quality[run];
            table.Add([run.Task, run.Method, run.Alpha > 0 ? F(run.Alpha, 1) : "0", strengths, joint, Interval(nll.MeanPerTokenNll), F(distinct2), F(repetition.Estimate)]);
        }
        var markdown = MarkdownTable(header, table);
        Console.WriteLine();
        Console.WriteLine(markdown);

        WriteReport(attributes, runs, quality, markdown, bootstrap, Strength, layer, residualScale);
        Log($"report written to {Path.GetFullPath(Path.Combine(options.OutputFolder, "report.html"))}");
        foreach (var a in attributes) a.Dispose();
        prompts.Dispose();
        promptMask.Dispose();
    }

    private static long[] EndIds(IDenoiser model) =>
        new[] { model.Spec.EosTokenId, model.Spec.PadTokenId, model.Spec.MaskTokenId }.Where(x => x is not null).Select(x => x!.Value).Distinct().ToArray();

    private static string DecodeGenerated(Tokenizer tokenizer, IDenoiser model, long[] generated)
    {
        var ids = TokenDiversity.TrimTrailing(generated, EndIds(model)).Where(id => id != model.Spec.MaskTokenId).Select(id => (int)id);
        return tokenizer.Decode(ids, skipSpecialTokens: true).Trim();
    }

    private static string Decode(Tokenizer tokenizer, IDenoiser model, long[] sequence, int promptLength) =>
        DecodeGenerated(tokenizer, model, sequence[promptLength..]);

    private static string Interval(ConfidenceInterval c) =>
        $"{F(c.Estimate)} [{F(c.Lower)}, {F(c.Upper)}]";

    private static long[] PromptIds(Tensor prompts, Tensor mask, int row)
    {
        using var ids = prompts[row];
        using var m = mask[row];
        var values = ids.data<long>();
        var keep = m.data<long>();
        return values.Where((_, i) => keep[i] != 0).ToArray();
    }

    private static Tensor RepeatRows(Tensor t, int rows)
    {
        using var scope = NewDisposeScope();
        var index = arange(0, rows, ScalarType.Int64).remainder(t.size(0));
        return t.index_select(0, index).DetachFromDisposeScope();
    }

    /// <summary>Generic prompts, left-padded to one length (with an attention mask), repeated for every seed.</summary>
    private (Tensor prompts, Tensor mask, int length) BuildPrompts(Tokenizer tokenizer, IDenoiser model)
    {
        var pad = model.Spec.PadTokenId ?? model.Spec.EosTokenId ?? throw new InvalidOperationException("the model has no pad or eos id");
        var encoded = PromptTexts.Take(options.Prompts).Select(p => tokenizer.Encode(p, addSpecialTokens: false).Select(i => (long)i).ToArray()).ToList();
        var length = encoded.Max(e => e.Length);
        var rows = options.Prompts * options.SeedsPerPrompt;
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        for (var r = 0; r < rows; r++)
        {
            var prompt = encoded[r % encoded.Count];
            for (var i = 0; i < length; i++)
            {
                var j = i - (length - prompt.Length);
                ids[r * length + i] = j >= 0 ? prompt[j] : pad;
                mask[r * length + i] = j >= 0 ? 1 : 0;
            }
        }
        return (tensor(ids, [rows, length]).DetachFromDisposeScope(), tensor(mask, [rows, length]).DetachFromDisposeScope(), length);
    }

    private Attribute? BuildAttribute(string name, string target, Tokenizer tokenizer, IDenoiser model, SparseAutoencoder sae, int layer, CancellationToken ct)
    {
        var folder = Path.Combine(options.SetsFolder, name);
        if (!File.Exists(Path.Combine(folder, "train.tsv")) || !File.Exists(Path.Combine(folder, "test.tsv")))
        {
            Log($"{name}: no labelled set under {folder}, skipped");
            return null;
        }
        var train = ReadSet(Path.Combine(folder, "train.tsv"));
        var test = ReadSet(Path.Combine(folder, "test.tsv"));
        var scorerFile = Path.Combine(options.ScorersFolder, name + ".json");
        var shipped = File.Exists(scorerFile);
        var scorer = shipped ? NGramTextClassifier.Load(scorerFile) : NGramTextClassifier.Train(train, new NGramClassifierOptions());
        var heldOut = scorer.Evaluate(test);
        Log($"{name}: n-gram scorer {(shipped ? "loaded from " + scorerFile : $"trained on {train.Count} texts")}; held-out accuracy " +
            $"{F(heldOut.Accuracy)} on {heldOut.Count} ({string.Join(", ", scorer.Classes)})");

        var random = new Random(17);
        long[] Ids(string text) => tokenizer.Encode(text, addSpecialTokens: false).Take(48).Select(i => (long)i).ToArray();
        var classA = train.Where(x => x.label == target).OrderBy(_ => random.Next()).Take(options.TextsPerClass).Select(x => Ids(x.text)).Where(x => x.Length >= 4).ToList();
        var classB = train.Where(x => x.label != target).OrderBy(_ => random.Next()).Take(options.TextsPerClass).Select(x => Ids(x.text)).Where(x => x.Length >= 4).ToList();
        var selection = ContrastiveFeatureFinder.Find(model, sae, layer, classA, classB, new FeatureFinderOptions { Seed = 3 }, cancellationToken: ct);
        var steering = selection.SteeringPositive.Count > 0 ? selection.SteeringPositive : selection.Tested.Where(f => f.CohensD > 0).Take(20).ToList();
        if (steering.Count == 0) throw new InvalidOperationException($"{name}: no feature is more active for '{target}'");
        var direction = SteeringDirection.FromSaeFeatures(sae, steering.Select(f => ((long)f.Feature, 1.0)).ToList(), normalize: true);
        Log($"{name}: {selection.Tested.Count} features tested, {selection.KeptPositive.Count} significant for '{target}'; steering with " +
            $"{steering.Count} (top d = {F(steering[0].CohensD, 2)})");
        return new Attribute
        {
            Name = name, Target = target, Scorer = scorer, HeldOut = heldOut,
            Features = steering.Select(f => (long)f.Feature).ToList(), Direction = direction,
        };
    }

    private static List<(string text, string label)> ReadSet(string path) =>
        File.ReadLines(path).Select(l => l.Split('\t')).Where(p => p.Length >= 3).Select(p => (p[2], p[0])).ToList();

    private static double MeanResidualNorm(IDenoiser model, int layer, Tensor prompts, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var canvas = cat([prompts, full([prompts.size(0), 16], model.Spec.MaskTokenId, ScalarType.Int64)], 1);
        var attention = cat([mask, ones([mask.size(0), 16], ScalarType.Int64)], 1);
        double norm = 0;
        using (model.Hooks.Add(layer, HookPoint.ResidPost, (in HookContext c, Tensor r) => { norm = r.norm(2.0, [-1L]).mean().item<float>(); return null; }))
            model.Forward(new DenoiserInput(canvas) { AttentionMask = attention });
        return norm;
    }

    private static string MarkdownTable(string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
        var lines = new List<string> { Line(header), "|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|" };
        lines.AddRange(rows.Select(Line));
        return string.Join(Environment.NewLine, lines);
    }

    private void WriteReport(List<Attribute> attributes, List<Run> runs, Dictionary<Run, (NllSummary nll, double distinct2, ConfidenceInterval repetition)> quality,
        string markdown, BootstrapOptions bootstrap, Func<Attribute, Run, ConfidenceInterval> strength, int layer, double residualScale)
    {
        var report = new HtmlReport("DiffusionSteering quickstart", $"model {Path.GetFullPath(options.ModelFolder)} · SAE layer {layer} · every number from this run");
        report.Section("Attribute scorers (held-out)");
        report.Table(ReportTable.Metrics(attributes.Select(a => new MetricRow($"{a.Name} accuracy ({string.Join("/", a.Scorer.Classes)})", a.HeldOut.AccuracyInterval)).ToList()));

        report.Section("When each attribute commits");
        var profiles = attributes.Select(a => a.Profile!).ToList();
        report.Figure(ReportCharts.EmergenceCurves(profiles), "Emergence curves (|h̄(t) − h̄(0)|, smoothed, min–max normalised) of each attribute's steering features");
        report.Figure(ReportCharts.BlockFractions(profiles), "Share of emergence in each of K = 8 blocks of the trajectory");
        report.Paragraph(string.Join(" ", attributes.Select(a =>
            $"{a.Name}: CV_c(s/c) = {F(a.Profile!.CoefficientOfVariation)}, predicted efficiency ratio ρ = {F(a.Profile.PredictedEfficiencyRatio)} (from {a.Profile.SamplesKept} of {a.Profile.SamplesRecorded} samples).")));

        report.Section("Steering results");
        report.Paragraph($"Strengths α are multiples of the mean residual norm at layer {layer} ({F(residualScale)}). Adaptive schedules match the uniform schedule's total Σα. " +
            "Same prompts and seeds for every method (paired).");
        report.Paragraph("<pre>" + System.Net.WebUtility.HtmlEncode(markdown) + "</pre>");
        foreach (var a in attributes)
        {
            var series = new List<TradeoffSeries>();
            foreach (var method in new[] { "uniform", "adaptive" })
            {
                var points = runs.Where(r => r.Method == method && r.Task == a.Name).Select(r =>
                {
                    var s = strength(a, r);
                    var q = quality[r].nll.MeanPerTokenNll;
                    return new TradeoffPoint(q.Estimate, s.Estimate) { YLower = s.Lower, YUpper = s.Upper, XLower = q.Lower, XUpper = q.Upper };
                }).ToList();
                if (points.Count > 0) series.Add(new TradeoffSeries(method, points));
            }
            var none = runs.First(r => r.Method == "none");
            var baseStrength = strength(a, none);
            series.Add(new TradeoffSeries("none", [new TradeoffPoint(quality[none].nll.MeanPerTokenNll.Estimate, baseStrength.Estimate)]));
            report.Figure(ReportCharts.StrengthQualityTradeoff(series, "NLL per token (lower is better)", $"{a.Name}: P({a.Target})"),
                $"{a.Name}: steering strength vs fluency, uniform vs adaptive");
            foreach (var alpha in options.Strengths)
            {
                var u = runs.FirstOrDefault(r => r.Task == a.Name && r.Method == "uniform" && r.Alpha == alpha);
                var ad = runs.FirstOrDefault(r => r.Task == a.Name && r.Method == "adaptive" && r.Alpha == alpha);
                if (u is null || ad is null) continue;
                var su = u.Texts.Select(t => a.Scorer.Classify(t) == a.TargetIndex ? 1.0 : 0.0).ToArray();
                var sa = ad.Texts.Select(t => a.Scorer.Classify(t) == a.TargetIndex ? 1.0 : 0.0).ToArray();
                var cmp = Bootstrap.ComparePaired(sa, su, bootstrap);
                report.Paragraph($"{a.Name}, α={F(alpha, 1)}: adaptive − uniform strength = {Interval(cmp.MeanDifference)}, paired sign-flip p = {F(cmp.PValue)}.");
            }
        }

        report.Section("Example generations (same prompt and seed)");
        var methods = new List<string> { "none" };
        var shown = new List<Run> { runs.First(r => r.Method == "none") };
        var mid = options.Strengths[options.Strengths.Count / 2];
        foreach (var task in runs.Select(r => r.Task).Distinct().Where(t => t != "all" || attributes.Count > 1))
            foreach (var method in new[] { "uniform", "adaptive" })
            {
                var run = runs.FirstOrDefault(r => r.Task == task && r.Method == method && r.Alpha == mid);
                if (run is null) continue;
                methods.Add($"{task} {method}");
                shown.Add(run);
            }
        var examples = Enumerable.Range(0, Math.Min(4, options.Prompts)).Select(i => new GenerationExample(
            PromptTexts[i], shown.Select(r => r.Texts[i]).ToList())).ToList();
        report.Generations(methods, examples);
        report.Write(Path.Combine(options.OutputFolder, "report.html"));
        File.WriteAllText(Path.Combine(options.OutputFolder, "results.md"), markdown + Environment.NewLine);
    }
}
