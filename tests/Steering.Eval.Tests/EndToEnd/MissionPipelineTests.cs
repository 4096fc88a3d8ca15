using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Sae.Core.Metrics;
using DiffusionSteering.Sae.Core.Training;
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
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Tests.EndToEnd;

/// <summary>
/// The quickstart's mission, end to end, on the tiny LLaDA fixture (random weights) with a synthetic attribute: texts of
/// class "low" use token ids in [10, 110), texts of class "high" ids in [300, 400). Every stage runs through the public
/// API a user calls — checkpoint loading, SAE training on the model's activations under masking, SAE save/load, scorer
/// training and save/load, contrastive features, commitment profile, uniform and adaptive steering at matched budget,
/// strength/joint-success/NLL/diversity with bootstrap intervals, and the HTML report. Each stage is checked against
/// what it must do: exact identities (k active latents, block fractions summing to 1, matched Σα, α = 0 changing
/// nothing, strength = share of target predictions), separations that follow from the synthetic classes (held-out
/// scorer accuracy, significant features with mean(A) &gt; mean(B)), and two that depend on this fixture and α = 3
/// (the SAE explains over half the held-out variance; steering changes some generated token).
/// </summary>
public sealed class MissionPipelineTests : IDisposable
{
    private const int Layer = 0;
    private const int PromptLength = 4;
    private const int GenLength = 8;
    private readonly string _folder = Directory.CreateTempSubdirectory("ds-mission-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static List<long[]> Texts(Random random, int count, int low, int high, int length) =>
        Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => (long)random.Next(low, high)).ToArray()).ToList();

    private static string AsText(IEnumerable<long> ids) => string.Join(" ", ids.Select(i => $"t{i}"));

    [Fact]
    public void RunsTheWholeMissionOnAFixtureModel()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));
        var random = new Random(7);
        var low = Texts(random, 160, 10, 110, 16);
        var high = Texts(random, 160, 300, 400, 16);

        // ---- 1. an SAE trained on the model's residuals under diffusion masking, saved and loaded back
        var site = new ResidualSite(Layer, HookPoint.ResidPost);
        var corpus = low.Take(120).Concat(high.Take(120)).ToList();
        var sourceOptions = new ActivationSourceOptions { Sites = [site], Policy = PositionPolicy.All, Seed = 1, ModelName = "llada-tiny" };
        var spec = new SaeTrainingSpec(site, new SaeConfig { DIn = model.Spec.HiddenSize, DSae = 128, K = 8 });
        SparseAutoencoder sae;
        using (var source = new DenoiserActivationSource(model, corpus, sourceOptions))
        using (var run = new SaeTrainingRun(source, [spec], new SaeTrainingRunOptions
               {
                   Training = new SaeTrainingOptions { TotalSteps = 150, BatchSize = 256, WarmupSteps = 10 },
                   LogEverySteps = 1000,
               }))
        {
            run.Train();
            var saved = run.SaveSaes(Path.Combine(_folder, "sae"));
            sae = SaeLoader.Load(saved[0], model.Spec.HiddenSize);
        }
        using (sae)
        {
            var heldOut = low.Skip(120).Concat(high.Skip(120)).ToList();
            using var evalSource = new DenoiserActivationSource(model, heldOut, sourceOptions with { Seed = 9, Repeat = false });
            var metrics = SaeEvaluator.Evaluate(sae, evalSource, site, maxTokens: 4_000);
            Assert.True(metrics.Overall.ExplainedVariance > 0.5, $"the trained SAE explains only {metrics.Overall.ExplainedVariance:F3} of held-out variance");
            Assert.InRange(metrics.Overall.L0, 7.99, 8.01);   // TopK k = 8
            Assert.Equal(Layer, sae.Metadata.Layer);

            // ---- 2. an attribute scorer on texts, saved and loaded back; held-out accuracy on a separable attribute
            var labelled = low.Take(120).Select(t => (AsText(t), "low")).Concat(high.Take(120).Select(t => (AsText(t), "high"))).ToList();
            NGramTextClassifier.Train(labelled).Save(Path.Combine(_folder, "scorer.json"));
            var scorer = NGramTextClassifier.Load(Path.Combine(_folder, "scorer.json"));
            var evaluation = scorer.Evaluate(low.Skip(120).Select(t => (AsText(t), "low")).Concat(high.Skip(120).Select(t => (AsText(t), "high"))));
            Assert.Equal(1.0, evaluation.Accuracy);
            var target = scorer.Classes.ToList().IndexOf("low");

            // ---- 3. contrastive features: class "low" vs "high" differ in every input token, so layer 0 must separate them
            var selection = ContrastiveFeatureFinder.Find(model, sae, Layer, low.Take(40).ToList(), high.Take(40).ToList(), new FeatureFinderOptions { Seed = 3 });
            Assert.NotEmpty(selection.SteeringPositive);
            Assert.All(selection.SteeringPositive, f => Assert.True(f.CohensD > 0 && f.MeanA > f.MeanB && f.Significant));
            var features = selection.SteeringPositive.Select(f => (long)f.Feature).ToList();
            using var direction = SteeringDirection.FromSaeFeatures(sae, features.Select(f => (f, 1.0)).ToList(), normalize: true);

            // ---- 4. commitment profile over the denoising trajectory
            const int rows = 8;
            var prompts = tensor(Texts(random, rows, 10, 110, PromptLength).SelectMany(t => t).ToArray(), [rows, PromptLength]);
            var seeds = Enumerable.Range(0, rows).Select(i => (ulong)(40 + i)).ToArray();
            var sampler = new LladaSampler(new LladaSamplerOptions { Steps = GenLength, GenLength = GenLength, BlockLength = GenLength, Remasking = LladaRemasking.Random });
            var recorder = new CommitmentRecorder(sae, Layer, features, generatedFrom: PromptLength);
            var (profile, confidences) = CommitmentMeasurement.Measure((r, ct) => sampler.Sample(model, r, ct), prompts, seeds, recorder,
                ids => scorer.ProbabilityOf(AsText(ids[PromptLength..]), "low"), threshold: 0, model: "llada-tiny", attribute: "low");
            Assert.Equal(GenLength, profile.Steps);
            Assert.Equal(rows, profile.SamplesRecorded);
            Assert.Equal(rows, confidences.Count);
            Assert.Equal(1.0, profile.BlockFractions.Sum(), 9);
            profile.Save(Path.Combine(_folder, "profile.json"));
            var reloaded = CommitmentProfile.Load(Path.Combine(_folder, "profile.json"));
            Assert.Equal(profile.Signal, reloaded.Signal);

            // ---- 5. generation: none, uniform and adaptive at matched total strength
            var alpha = 3.0;
            var uniform = new UniformSchedule(alpha);
            var adaptive = new AdaptiveSchedule(reloaded, alpha);
            Assert.Equal(GenLength * alpha, Enumerable.Range(0, GenLength).Sum(t => adaptive.Strength(t, GenLength)), 9);
            long[][] Generate(IInterventionSchedule? schedule)
            {
                IResidualIntervention[] interventions = schedule is null ? [] : [new FeatureSteering(model, direction, schedule, Layer, HookPoint.ResidPost, TokenScope.Masked)];
                using var result = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = seeds, Interventions = interventions });
                var ids = result.Sequences.data<long>();
                var length = PromptLength + GenLength;
                return Enumerable.Range(0, rows).Select(r => ids.AsSpan(r * length + PromptLength, GenLength).ToArray()).ToArray();
            }
            var none = Generate(null);
            var zero = Generate(new UniformSchedule(0));
            var steeredUniform = Generate(uniform);
            var steeredAdaptive = Generate(adaptive);
            Assert.Equal(none, zero);   // α = 0 changes nothing
            Assert.NotEqual(none, steeredUniform);
            Assert.NotEqual(none, steeredAdaptive);

            // ---- 6. measurement: strength, joint success, NLL, diversity, with bootstrap intervals
            var bootstrap = new BootstrapOptions { Resamples = 200, Seed = 5 };
            var promptRows = Enumerable.Range(0, rows).Select(r => (IReadOnlyList<long>)prompts[r].data<long>()).ToList();
            var table = new List<string[]>();
            foreach (var (name, generated) in new[] { ("none", none), ("uniform", steeredUniform), ("adaptive", steeredAdaptive) })
            {
                var predicted = generated.Select(g => scorer.Classify(AsText(g))).ToArray();
                var strength = SteeringStrength.Compute(predicted, target, bootstrap);
                Assert.Equal(predicted.Count(p => p == target) / (double)rows, strength.Estimate, 12);
                Assert.InRange(strength.Estimate, strength.Lower, strength.Upper);
                var joint = JointSteeringSuccess.Compute([predicted, predicted], [target, target], bootstrap);
                Assert.Equal(strength.Estimate, joint.AllTargets.Estimate, 12);   // the same attribute twice: joint = single
                var nll = DlmNll.EstimateMany(model, generated.Select(g => (IReadOnlyList<long>)g), promptRows, new DlmNllOptions { Draws = 2, Seed = 1 });
                Assert.True(double.IsFinite(nll.MeanPerTokenNll.Estimate) && nll.MeanPerTokenNll.Estimate > 0);
                var distinct = TokenDiversity.DistinctN(generated.Select(g => (IReadOnlyList<long>)g), 2);
                Assert.InRange(distinct.UniqueNGrams, 1, rows * (GenLength - 1));
                table.Add([name, strength.Estimate.ToString("F3"), nll.MeanPerTokenNll.Estimate.ToString("F3")]);
            }

            // ---- 7. the report
            var report = new HtmlReport("mission on llada-tiny");
            report.Section("commitment").Figure(ReportCharts.EmergenceCurves([reloaded]), "emergence");
            report.Figure(ReportCharts.BlockFractions([reloaded]), "block fractions");
            report.Section("steering").Paragraph(string.Join("; ", table.Select(r => string.Join(" ", r))));
            var path = Path.Combine(_folder, "report.html");
            report.Write(path);
            var html = File.ReadAllText(path);
            Assert.Contains("<svg", html);
            Assert.Contains("adaptive", html);
        }
    }
}
