// Train a small masked diffusion LM (LLaDA architecture) on your own text, with checkpoints and resume.
//
//   dotnet run -c Release --project samples/TrainDlm -- tokenizer --corpus train.txt --out tokenizer.json
//   dotnet run -c Release --project samples/TrainDlm -- train --corpus DIR --tokenizer tokenizer.json --run RUN
//   dotnet run -c Release --project samples/TrainDlm -- export --run RUN --out MODEL_DIR [--card docs/embedded-model.md]
//   dotnet run -c Release --project samples/TrainDlm -- generate --model MODEL_DIR --prompt "The movie"
//
// DIR holds train.txt and valid.txt (one document per line). `train` tokenises them once (cached in RUN), builds the
// model on the first run (RUN/config.json) and continues from RUN/checkpoints/latest when it exists, so killing and
// restarting the same command resumes exactly. Run with no arguments for every option.

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using Microsoft.Extensions.Logging;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Samples.TrainDlm;

public static class Program
{
    public const string EosToken = "<|endoftext|>";
    public const string MaskToken = "<|mdm_mask|>";

    public static int Main(string[] argv)
    {
        if (argv.Length == 0 || argv[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return argv.Length == 0 ? 2 : 0;
        }
        var args = Args.Parse(argv[1..]);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        // SIGTERM (kill, nohup'd runs): stop at the next step boundary, checkpoint, exit; the same command resumes.
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; cts.Cancel(); });
        try
        {
            return argv[0] switch
            {
                "tokenizer" => TrainTokenizer(args, cts.Token),
                "train" => Train(args, cts.Token),
                "export" => Export(args),
                "generate" => Generate(args),
                "bench" => Bench(args),
                _ => throw new ArgumentException($"unknown command '{argv[0]}'\n{Usage}"),
            };
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled (a checkpoint was written; run the same command to resume)");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private const string Usage = """
        TrainDlm: train a small masked diffusion LM (LLaDA architecture) with DiffusionSteering.

          tokenizer --corpus FILE --out tokenizer.json [--vocab 8192] [--min-frequency 2] [--max-lines N]
              byte-level BPE with the special tokens <|endoftext|> (id 0: EOS and padding) and <|mdm_mask|> (id 1)
          train --corpus DIR --tokenizer FILE --run RUN
                [--d-model 256] [--layers 4] [--heads 4] [--mlp 704] [--max-seq 128]
                [--seq 128] [--batch 32] [--steps 10000] [--lr 1e-3] [--warmup 200] [--min-lr-factor 0.1]
                [--curriculum 1000] [--t-max0 0.3] [--weight-decay 0.01] [--clip 1] [--seed 1234]
                [--eval-every 500] [--eval-windows 256] [--checkpoint-every 1000] [--checkpoint-minutes 5]
                [--threads 2] [--fp32] [--log-every 50] [--max-minutes M] [--init-from MODEL_DIR]
              DIR/train.txt and DIR/valid.txt: one document per line. Resumes from RUN/checkpoints when present.
              --init-from starts a new run (new schedule, fresh optimizer) from the weights of a model folder or
              checkpoint (config.json + model.safetensors): fine-tuning, or a second training phase.
              --max-minutes stops (with a checkpoint) after M minutes of training in total; the learning-rate schedule
              still spans --steps, so the same command with a larger M continues exactly.
              Set OMP_WAIT_POLICY=PASSIVE on shared machines (spinning OpenMP threads are many times slower there).
          export --run RUN --out DIR [--dtype bfloat16|float32] [--card FILE.md] [--threads 2] [--final]
              writes config.json, generation_config.json, model.safetensors, tokenizer.json (+ training-summary.json)
              from the latest checkpoint, reloads them with DenoiserLoader, measures the held-out ELBO and the
              unigram baseline, samples with LladaSampler, and writes a model card (marked as a draft when the run has
              not reached --steps, unless --final)
          generate --model DIR [--prompt TEXT]... [--length 48] [--steps 48] [--block 48] [--temperature 0.8]
                   [--remasking random|low-confidence] [--seed 0] [--count 1]
          bench [--d-model 256] [--layers 4] [--heads 4] [--mlp 704] [--batch 32] [--threads 2] [--fp32] [--steps 10]
              times a forward pass, a forward+backward pass and trainer steps of a random model on random tokens
        """;

    // ---------------------------------------------------------------------------------------------------------------

    private static int TrainTokenizer(Args args, CancellationToken ct)
    {
        var corpus = args.Required("corpus");
        var output = args.Required("out");
        var vocab = args.Int("vocab", 8192);
        var maxLines = args.Long("max-lines", long.MaxValue);
        var trainer = new BpeTrainer(vocab, [EosToken, MaskToken], args.Int("min-frequency", 2));
        var started = DateTime.UtcNow;
        var result = trainer.Train(File.ReadLines(corpus).Take((int)Math.Min(int.MaxValue, maxLines)), ct);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        result.Save(output);
        Console.WriteLine($"{output}: {result.Vocabulary.Count} tokens, {result.Merges.Count} merges in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static int Train(Args args, CancellationToken ct)
    {
        var corpus = args.Required("corpus");
        var run = args.Required("run");
        var tokenizerPath = args.Required("tokenizer");
        Directory.CreateDirectory(run);
        set_num_threads(args.Int("threads", 2));
        var logger = new ConsoleLogger();
        var tokenizer = Tokenizer.FromFile(tokenizerPath);
        var eos = tokenizer.TokenToId(EosToken) ?? throw new ArgumentException($"{tokenizerPath} has no {EosToken}");
        var mask = tokenizer.TokenToId(MaskToken) ?? throw new ArgumentException($"{tokenizerPath} has no {MaskToken}");
        var runTokenizer = Path.Combine(run, "tokenizer.json");
        if (!File.Exists(runTokenizer)) File.Copy(tokenizerPath, runTokenizer);
        else if (File.ReadAllText(runTokenizer) != File.ReadAllText(tokenizerPath))
            throw new InvalidOperationException($"{run} was started with another tokenizer ({runTokenizer})");

        var train = LoadTokens(tokenizer, Path.Combine(corpus, "train.txt"), Path.Combine(run, "tokens-train.bin"), eos, logger, ct);
        var valid = LoadTokens(tokenizer, Path.Combine(corpus, "valid.txt"), Path.Combine(run, "tokens-valid.bin"), eos, logger, ct);

        var configPath = Path.Combine(run, "config.json");
        var initFrom = args.Optional("init-from");
        // Resuming (a checkpoint exists) ignores --init-from: the checkpoint holds the weights.
        var resuming = DlmCheckpoint.FindLatest(Path.Combine(run, "checkpoints")) is not null;
        if (initFrom is not null && !resuming && !File.Exists(Path.Combine(initFrom, "model.safetensors")))
            throw new FileNotFoundException($"--init-from {initFrom}: no model.safetensors there");
        if (!File.Exists(configPath) && initFrom is not null && !resuming)
        {
            // Continue from another run's weights: same architecture, so the same config.json.
            File.Copy(Path.Combine(initFrom, "config.json"), configPath);
        }
        if (!File.Exists(configPath))
        {
            var config = LladaConfigJson(args.Int("d-model", 256), args.Int("layers", 4), args.Int("heads", 4), args.Int("mlp", 704),
                tokenizer.VocabSize, mask, eos, args.Int("max-seq", 128), "float32");
            File.WriteAllText(configPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        var configText = File.ReadAllText(configPath);
        var parsed = LladaConfig.FromConfig(ModelConfig.Parse(configText, configPath));
        var seed = (ulong)args.Long("seed", 1234);
        manual_seed(seed);
        using var model = new LladaModel(parsed);
        if (initFrom is not null && !resuming)
        {
            // A new schedule (and optimizer state) over trained weights: fine-tuning, or a longer second phase.
            using var scope = NewDisposeScope();
            model.load_state_dict(SafetensorsTorch.Load(Path.Combine(initFrom, "model.safetensors"), ScalarType.Float32));
            logger.LogInformation("Initialised the weights from {InitFrom}", initFrom);
            // Keep the earlier phase's record (steps, tokens, held-out curve) for the model card.
            if (File.Exists(Path.Combine(initFrom, DlmCheckpoint.TrainerFile)))
            {
                Directory.CreateDirectory(Path.Combine(run, PreviousPhaseFolder));
                File.Copy(Path.Combine(initFrom, DlmCheckpoint.TrainerFile), Path.Combine(run, PreviousPhaseFolder, DlmCheckpoint.TrainerFile), overwrite: true);
            }
        }
        else InitialiseWeights(model, parsed);

        var options = new DlmTrainerOptions
        {
            SequenceLength = args.Int("seq", 128),
            BatchSize = args.Int("batch", 32),
            MaxSteps = args.Long("steps", 10_000),
            LearningRate = args.Double("lr", 1e-3),
            WarmupSteps = args.Long("warmup", 200),
            MinLearningRateFactor = args.Double("min-lr-factor", 0.1),
            CurriculumSteps = args.Long("curriculum", 1000),
            InitialMaxMaskRate = args.Double("t-max0", 0.3),
            WeightDecay = args.Double("weight-decay", 0.01),
            GradientClipNorm = args.Double("clip", 1.0),
            Bf16Autocast = !args.Flag("fp32"),
            Seed = seed,
            EvalInterval = args.Long("eval-every", 500),
            EvalWindows = args.Int("eval-windows", 256),
            LogInterval = args.Long("log-every", 50),
            CheckpointDirectory = Path.Combine(run, "checkpoints"),
            CheckpointInterval = args.Long("checkpoint-every", 1000),
            CheckpointEvery = TimeSpan.FromMinutes(args.Double("checkpoint-minutes", 5)),
            MaxDuration = args.Optional("max-minutes") is { } minutes ? TimeSpan.FromMinutes(double.Parse(minutes, CultureInfo.InvariantCulture)) : null,
            CheckpointFiles = new Dictionary<string, string>
            {
                ["config.json"] = configText,
                ["generation_config.json"] = GenerationConfigJson(eos),
                ["tokenizer.json"] = File.ReadAllText(runTokenizer),
            },
        };
        var unigram = PackedTokenDataset.UnigramCrossEntropy(train, valid, tokenizer.VocabSize);
        logger.LogInformation("Unigram baseline (held-out cross-entropy under training frequencies): {Unigram:F4} nats/token", unigram);
        using var trainer = new DlmTrainer(model, options, logger);
        var result = trainer.Train(train, valid, null, ct);
        if (!result.Completed)
            logger.LogInformation("Stopped by the time limit before step {MaxSteps}; run the same command with a larger --max-minutes to continue", options.MaxSteps);
        logger.LogInformation("Summary: {Steps} steps, {Tokens:N0} tokens in {Elapsed}; held-out ELBO {Loss:F4} (unigram {Unigram:F4}); checkpoint {Checkpoint}",
            result.Steps, result.TokensSeen, result.Elapsed, result.FinalValidationLoss, unigram, result.LastCheckpoint);
        return 0;
    }

    private static PackedTokenDataset LoadTokens(Tokenizer tokenizer, string textPath, string cachePath, int eos, ILogger logger, CancellationToken ct)
    {
        if (File.Exists(cachePath)) return PackedTokenDataset.Load(cachePath);
        var started = DateTime.UtcNow;
        var data = PackedTokenDataset.FromTexts(tokenizer, File.ReadLines(textPath), eos, ct);
        data.Save(cachePath);
        logger.LogInformation("Tokenised {Path}: {Tokens:N0} tokens in {Seconds:F0} s", textPath, data.Count, (DateTime.UtcNow - started).TotalSeconds);
        return data;
    }

    /// <summary>A LLaDA config.json (the released checkpoints' keys and conventions) for a small model.</summary>
    public static JsonObject LladaConfigJson(int dModel, int layers, int heads, int mlp, int vocab, int maskId, int eosId, int maxSeq, string dtype) => new()
    {
        ["_name_or_path"] = "diffusionsteering-embedded-llada",
        ["activation_type"] = "silu",
        ["alibi"] = false,
        ["alibi_bias_max"] = 8.0,
        ["architectures"] = new JsonArray("LLaDAModelLM"),
        ["attention_dropout"] = 0.0,
        ["attention_layer_norm"] = false,
        ["attention_layer_norm_with_affine"] = true,
        ["bias_for_layer_norm"] = false,
        ["block_group_size"] = 1,
        ["block_type"] = "llama",
        ["d_model"] = dModel,
        ["embedding_dropout"] = 0.0,
        ["embedding_size"] = vocab,
        ["eos_token_id"] = eosId,
        ["flash_attention"] = false,
        ["include_bias"] = false,
        ["include_qkv_bias"] = false,
        ["init_cutoff_factor"] = null,
        ["init_device"] = "meta",
        ["init_fn"] = "mitchell",
        ["init_std"] = 0.02,
        ["input_emb_norm"] = false,
        ["layer_norm_type"] = "rms",
        ["layer_norm_with_affine"] = true,
        ["mask_token_id"] = maskId,
        ["max_sequence_length"] = maxSeq,
        ["mlp_hidden_size"] = mlp,
        ["mlp_ratio"] = 4,
        ["model_type"] = "llada",
        ["multi_query_attention"] = null,
        ["n_heads"] = heads,
        ["n_kv_heads"] = heads,
        ["n_layers"] = layers,
        ["pad_token_id"] = eosId,
        ["precision"] = "amp_bf16",
        ["residual_dropout"] = 0.0,
        ["rms_norm_eps"] = 1e-5,
        ["rope"] = true,
        ["rope_full_precision"] = true,
        ["rope_theta"] = 10000.0,
        ["scale_logits"] = false,
        ["torch_dtype"] = dtype,
        ["use_cache"] = false,
        ["vocab_size"] = vocab,
        ["weight_tying"] = false,
    };

    public static string GenerationConfigJson(int eos) =>
        $$"""
        {
          "_from_model_config": true,
          "bos_token_id": {{eos}},
          "eos_token_id": {{eos}},
          "pad_token_id": {{eos}}
        }
        """;

    /// <summary>GPT-2-style initialisation: N(0, 0.02) weights, residual output projections scaled by 1/√(2·layers).</summary>
    private static void InitialiseWeights(LladaModel model, LladaConfig config)
    {
        using var noGrad = no_grad();
        var residualStd = 0.02 / Math.Sqrt(2.0 * config.NLayers);
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("ln_f.weight", StringComparison.Ordinal)) continue;
            var residual = name.EndsWith("attn_out.weight", StringComparison.Ordinal)
                || (name.Contains(".blocks.", StringComparison.Ordinal) && name.EndsWith("ff_out.weight", StringComparison.Ordinal));
            p.normal_(0, residual ? residualStd : 0.02);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static int Export(Args args)
    {
        var run = args.Required("run");
        var output = args.Required("out");
        var dtypeName = args.String("dtype", "bfloat16");
        var dtype = dtypeName switch
        {
            "bfloat16" => ScalarType.BFloat16,
            "float32" => ScalarType.Float32,
            _ => throw new ArgumentException($"--dtype must be bfloat16 or float32, got {dtypeName}"),
        };
        set_num_threads(args.Int("threads", 2));
        var checkpoint = DlmCheckpoint.FindLatest(Path.Combine(run, "checkpoints"))
            ?? throw new InvalidOperationException($"no checkpoint in {run}/checkpoints");
        var phaseState = DlmCheckpoint.ReadState(checkpoint);
        var previous = File.Exists(Path.Combine(run, PreviousPhaseFolder, DlmCheckpoint.TrainerFile))
            ? DlmCheckpoint.ReadState(Path.Combine(run, PreviousPhaseFolder))
            : null;
        // The card and summary describe the whole training (earlier phase + this run) on one step and token axis.
        var state = previous is null ? phaseState : ModelCard.Concatenate(previous, phaseState);
        Console.WriteLine($"exporting {checkpoint} (step {state.Step}, {state.TokensSeen:N0} tokens) to {output} as {dtypeName}");

        Directory.CreateDirectory(output);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "config.json")))!.AsObject();
        config["torch_dtype"] = dtypeName;
        File.WriteAllText(Path.Combine(output, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Copy(Path.Combine(checkpoint, "generation_config.json"), Path.Combine(output, "generation_config.json"), overwrite: true);
        File.Copy(Path.Combine(checkpoint, "tokenizer.json"), Path.Combine(output, "tokenizer.json"), overwrite: true);
        using (var scope = NewDisposeScope())
        {
            var weights = SafetensorsTorch.Load(Path.Combine(checkpoint, DlmCheckpoint.ModelFile), dtype);
            SafetensorsTorch.Save(Path.Combine(output, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
        }

        // Reload through the public loader, exactly as a user would.
        using var model = (DenoiserModule)DenoiserLoader.CreateDefault().Load(output);
        var tokenizer = Tokenizer.FromFile(Path.Combine(output, "tokenizer.json"));
        var eos = tokenizer.TokenToId(EosToken)!.Value;
        var options = new DlmTrainerOptions { SequenceLength = state.SequenceLength, BatchSize = state.BatchSize, Seed = state.Seed, EvalWindows = args.Int("eval-windows", 256), Bf16Autocast = dtype == ScalarType.Float32 };
        double? heldOut = null, unigram = null;
        var validTokens = Path.Combine(run, "tokens-valid.bin");
        var trainTokens = Path.Combine(run, "tokens-train.bin");
        if (File.Exists(validTokens) && File.Exists(trainTokens))
        {
            var valid = PackedTokenDataset.Load(validTokens);
            using var evaluator = new DlmTrainer(model, options);
            heldOut = evaluator.Evaluate(valid);
            unigram = PackedTokenDataset.UnigramCrossEntropy(PackedTokenDataset.Load(trainTokens), valid, tokenizer.VocabSize);
            Console.WriteLine($"held-out ELBO of the exported {dtypeName} weights: {heldOut:F4} nats/token (unigram baseline {unigram:F4})");
        }

        var samples = new List<(string Prompt, string Style, string Text)>();
        foreach (var (prompt, i) in CardPrompts.Select((p, i) => (p, i)))
        {
            foreach (var (style, sampler) in CardSamplers())
            {
                var text = GenerateText(model, tokenizer, eos, prompt, sampler, seed: (ulong)(100 + i));
                samples.Add((prompt, style, text));
                Console.WriteLine($"[{style}] {prompt}|{text}");
            }
        }

        var summary = new JsonObject
        {
            ["checkpoint"] = Path.GetFileName(checkpoint),
            ["step"] = state.Step,
            ["tokens_seen"] = state.TokensSeen,
            ["training_tokens"] = state.DataTokens,
            ["elapsed_seconds"] = Math.Round(state.ElapsedSeconds),
            ["batch_size"] = state.BatchSize,
            ["sequence_length"] = state.SequenceLength,
            ["parameters"] = model.parameters().Sum(p => p.numel()),
            ["exported_dtype"] = dtypeName,
            ["heldout_elbo_exported"] = heldOut,
            ["unigram_baseline"] = unigram,
            ["validation_history"] = new JsonArray(state.ValidationHistory.Select(p => (JsonNode)new JsonObject { ["step"] = p.Step, ["tokens"] = p.TokensSeen, ["elbo"] = Math.Round(p.Loss, 4) }).ToArray()),
            ["loss_history"] = new JsonArray(state.LossHistory.Where((_, k) => k % 4 == 3 || k == state.LossHistory.Count - 1)
                .Select(p => (JsonNode)new JsonObject { ["step"] = p.Step, ["smoothed_loss"] = Math.Round(p.SmoothedLoss, 4), ["t_max"] = Math.Round(p.MaxMaskRate, 3), ["lr"] = p.LearningRate }).ToArray()),
            ["samples"] = new JsonArray(samples.Select(s => (JsonNode)new JsonObject { ["prompt"] = s.Prompt, ["sampler"] = s.Style, ["text"] = s.Text }).ToArray()),
        };
        File.WriteAllText(Path.Combine(output, "training-summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (args.Optional("card") is { } card)
        {
            File.WriteAllText(card, ModelCard.Write(config, state, heldOut, unigram, dtypeName, samples, output,
                new FileInfo(Path.Combine(output, "model.safetensors")).Length, model.parameters().Sum(p => p.numel()),
                draft: phaseState.Step < phaseState.MaxSteps && !args.Flag("final"), previous: previous));
            Console.WriteLine($"wrote {card}");
        }
        return 0;
    }

    /// <summary>Where a run started with --init-from keeps the earlier phase's trainer record.</summary>
    private const string PreviousPhaseFolder = "previous-phase";

    public static readonly string[] CardPrompts =
    [
        "",
        "This movie was",
        "I hated this film because",
        "The best part of the story is",
        "Congress must",
        "In the beginning",
        "A computer program is",
        "It is a truth universally acknowledged that",
    ];

    public static IEnumerable<(string Style, LladaSamplerOptions Options)> CardSamplers() =>
    [
        ("random order, T=0.8", new LladaSamplerOptions { GenLength = 48, Steps = 48, BlockLength = 48, Temperature = 0.8, Remasking = LladaRemasking.Random, LogitsEosInf = true }),
        ("low-confidence, blocks of 8, T=0.5", new LladaSamplerOptions { GenLength = 48, Steps = 48, BlockLength = 8, Temperature = 0.5, Remasking = LladaRemasking.LowConfidence, LogitsEosInf = true }),
    ];

    public static string GenerateText(IDenoiser model, Tokenizer tokenizer, int eos, string prompt, LladaSamplerOptions options, ulong seed)
    {
        using var scope = NewDisposeScope();
        var ids = new List<long> { eos };
        ids.AddRange(tokenizer.Encode(prompt, addSpecialTokens: false).Select(i => (long)i));
        var promptIds = tensor(ids.ToArray(), [1, ids.Count]);
        using var result = new LladaSampler(options).Sample(model, new SamplingRequest { PromptIds = promptIds, Seeds = [seed] });
        var generated = result.Sequences[0].data<long>().Skip(ids.Count).Select(i => (int)i).ToList();
        var cut = generated.IndexOf(eos);
        var text = tokenizer.Decode(cut >= 0 ? generated.Take(cut) : generated, skipSpecialTokens: true);
        return text.Replace("\n", " ");
    }

    private static int Bench(Args args)
    {
        set_num_threads(args.Int("threads", 2));
        var config = LladaConfigJson(args.Int("d-model", 256), args.Int("layers", 4), args.Int("heads", 4), args.Int("mlp", 704), 8192, 1, 0, 128, "float32");
        var parsed = LladaConfig.FromConfig(ModelConfig.Parse(config.ToJsonString()));
        manual_seed(1);
        using var model = new LladaModel(parsed);
        int b = args.Int("batch", 32), l = 128;
        var bf16 = !args.Flag("fp32");
        void Time(string what, Action action)
        {
            action();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var n = args.Int("reps", 5);
            for (var i = 0; i < n; i++) action();
            Console.WriteLine($"{what}: {sw.Elapsed.TotalMilliseconds / n:F1} ms");
        }
        var ids = randint(2, 8192, [b, l]).DetachFromDisposeScope();
        Time("forward no_grad", () => { using var s = NewDisposeScope(); using var ng = no_grad(); using var ac = autocast(DeviceType.CPU, ScalarType.BFloat16, bf16); model.Forward(new DenoiserInput(ids)); });
        Time("forward+backward (full head)", () => { using var s = NewDisposeScope(); Tensor loss; using (autocast(DeviceType.CPU, ScalarType.BFloat16, bf16)) { loss = model.Forward(new DenoiserInput(ids)).to(ScalarType.Float32).log_softmax(-1).mean(); } loss.backward(); model.zero_grad(); });
        var options = new DlmTrainerOptions { MaxSteps = 1000, Bf16Autocast = bf16, EvalInterval = 0, LogInterval = 1000 };
        var data = new PackedTokenDataset(randint(2, 8192, [200_000]).data<long>().Select(x => (int)x).ToArray());
        using var trainer = new DlmTrainer(model, options with { MaxSteps = args.Int("steps", 10), WarmupSteps = 1 });
        var sw2 = System.Diagnostics.Stopwatch.StartNew();
        var r = trainer.Train(data);
        Console.WriteLine($"trainer: {r.Steps} steps, {r.TokensSeen / sw2.Elapsed.TotalSeconds:F0} tokens/s");
        return 0;
    }

    private static int Generate(Args args)
    {
        set_num_threads(args.Int("threads", 2));
        var folder = args.Required("model");
        using var model = DenoiserLoader.CreateDefault().Load(folder, new DenoiserLoadOptions { DType = ScalarType.Float32 });
        var tokenizer = Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json"));
        var eos = tokenizer.TokenToId(EosToken) ?? throw new ArgumentException($"the tokenizer has no {EosToken}");
        var length = args.Int("length", 48);
        var options = new LladaSamplerOptions
        {
            GenLength = length,
            Steps = args.Int("steps", length),
            BlockLength = args.Int("block", length),
            Temperature = args.Double("temperature", 0.8),
            Remasking = args.String("remasking", "random") == "random" ? LladaRemasking.Random : LladaRemasking.LowConfidence,
        };
        var prompts = args.All("prompt");
        if (prompts.Count == 0) prompts = [""];
        var seed = (ulong)args.Long("seed", 0);
        var count = args.Int("count", 1);
        foreach (var prompt in prompts)
            for (var k = 0; k < count; k++)
                Console.WriteLine($"{prompt}|{GenerateText(model, tokenizer, eos, prompt, options, seed + (ulong)k)}");
        return 0;
    }
}

/// <summary>Minimal --key value parser.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public static Args Parse(string[] argv)
    {
        var a = new Args();
        for (var i = 0; i < argv.Length; i++)
        {
            if (!argv[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{argv[i]}'");
            var key = argv[i][2..];
            if (i + 1 < argv.Length && !argv[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                if (!a._values.TryGetValue(key, out var list)) a._values[key] = list = [];
                list.Add(argv[++i]);
            }
            else a._flags.Add(key);
        }
        return a;
    }

    public string Required(string key) => Optional(key) ?? throw new ArgumentException($"--{key} is required");
    public string? Optional(string key) => _values.TryGetValue(key, out var v) ? v[^1] : null;
    public List<string> All(string key) => _values.TryGetValue(key, out var v) ? [.. v] : [];
    public string String(string key, string fallback) => Optional(key) ?? fallback;
    public bool Flag(string key) => _flags.Contains(key);
    public int Int(string key, int fallback) => Optional(key) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;
    public long Long(string key, long fallback) => Optional(key) is { } s ? long.Parse(s, CultureInfo.InvariantCulture) : fallback;
    public double Double(string key, double fallback) => Optional(key) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;
}

/// <summary>Writes timestamped log lines to standard output.</summary>
internal sealed class ConsoleLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {logLevel.ToString()[..4].ToUpperInvariant()} {formatter(state, exception)}";
        if (exception is not null) line += Environment.NewLine + exception;
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
