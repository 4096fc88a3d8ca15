using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Sae.Core.Metrics;
using DiffusionSteering.Sae.Core.Training;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using Xunit.Abstractions;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Training;

/// <summary>End to end on a fixture DLM: activation source → buffer → SAEs → metrics; and exact resume after interruption.</summary>
public class TrainingRunTests(ITestOutputHelper output)
{
    private static readonly ResidualSite Layer0Post = new(0, HookPoint.ResidPost);
    private static readonly ResidualSite Layer1Mid = new(1, HookPoint.ResidMid);

    internal static IDenoiser LoadLlada() => DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));

    /// <summary>Random token sequences (ids below the special tokens) of lengths in [minLength, maxLength].</summary>
    internal static List<long[]> Sequences(int count, int minLength, int maxLength, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, random.Next(minLength, maxLength + 1)).Select(_ => (long)random.Next(0, vocab)).ToArray())
            .ToList();
    }

    private static SaeTrainingRunOptions RunOptions(long steps, string? checkpoints, long every = 5) => new()
    {
        Training = new SaeTrainingOptions
        {
            TotalSteps = steps, BatchSize = 64, LearningRate = 3e-3, WarmupSteps = 5, DeadTokenWindow = 256, Seed = 1,
            ThresholdStartStep = steps / 2, ThresholdBeta = 0.9,   // a short run: start the inference-threshold EMA late and fast
        },
        BufferCapacity = 256,
        BufferSeed = 2,
        CheckpointDirectory = checkpoints,
        CheckpointEverySteps = every,
        LogEverySteps = 0,
    };

    [Fact]
    public void TrainsSeveralSaesFromOneModelAndEvaluatesThem()
    {
        using var scope = NewDisposeScope();
        using var model = LoadLlada();
        var d = model.Spec.HiddenSize;
        var sequences = Sequences(48, 12, 24, 500, seed: 1);
        var heldOut = Sequences(40, 12, 24, 500, seed: 2);
        var sourceOptions = new ActivationSourceOptions { Sites = [Layer0Post, Layer1Mid], Policy = PositionPolicy.Masked, Seed = 3, ModelName = "llada-tiny" };
        using var source = new DenoiserActivationSource(model, sequences, sourceOptions);
        SaeTrainingSpec[] specs =
        [
            new(Layer0Post, new SaeConfig { DIn = d, DSae = 256, K = 4 }),
            new(Layer0Post, new SaeConfig { DIn = d, DSae = 256, K = 12 }),
            new(Layer1Mid, new SaeConfig { DIn = d, DSae = 256, K = 8, Architecture = SaeArchitecture.BatchTopK }),
            new(Layer1Mid, new SaeConfig { DIn = d, DSae = 256, K = 8, Architecture = SaeArchitecture.MultiTopK, KLevels = [2, 4, 8] }),
        ];
        var reports = new List<SaeTrainingProgress>();
        using var run = new SaeTrainingRun(source, specs, RunOptions(60, null));
        run.Train(new SyncProgress<SaeTrainingProgress>(reports.Add));
        Assert.Equal(60, run.Step);
        Assert.Equal(60, reports.Count);

        // Held-out metrics per SAE, from activations of other sequences and another corruption seed (read once).
        ActivationBatch heldOutActivations;
        using (var evalSource = new DenoiserActivationSource(model, heldOut, sourceOptions with { Seed = 99, Repeat = false }))
        {
            var parts = new List<ActivationBatch>();
            while (evalSource.Next() is { } b) parts.Add(b);
            heldOutActivations = ActivationBatch.Concat(parts);
            foreach (var b in parts) b.Dispose();
        }
        using (heldOutActivations)
            for (var i = 0; i < specs.Length; i++)
            {
                using var sae = run.ExportSae(i);
                using var evaluator = new SaeEvaluator(sae, MaskRateBuckets.DlmScopeThirds);
                evaluator.Add(heldOutActivations, specs[i].Site);
                var metrics = evaluator.Compute();
                var m = metrics.Overall;
                // The same SAE before training (fresh initialisation) explains much less.
                using var untrained = new SparseAutoencoder(specs[i].Config);
                using var baseline = new SaeEvaluator(untrained);
                baseline.Add(heldOutActivations, specs[i].Site);
                var before = baseline.Compute().Overall;
                output.WriteLine($"{specs[i].Name}: EV {m.ExplainedVariance:F3} FVU {m.Fvu:F3} L0 {m.L0:F2} cos {m.CosineSimilarity:F3} l2 ratio {m.L2Ratio:F3} dead {m.DeadFraction:P0} " +
                    $"(untrained FVU {before.Fvu:F3}); training batch fvu first {reports[0].Saes[i].Fvu:F3}, last {reports[^1].Saes[i].Fvu:F3}");
                Assert.True(m.ExplainedVariance > 0.4, $"{specs[i].Name}: held-out EV {m.ExplainedVariance:F3}");
                Assert.True(m.Fvu < 0.8 * before.Fvu, $"{specs[i].Name}: held-out FVU {m.Fvu:F3}, untrained {before.Fvu:F3}");
                Assert.True(m.Tokens > 100);
                Assert.Equal(m.Tokens, metrics.Buckets.Sum(b => b.Metrics?.Tokens ?? 0));
                Assert.Equal("mask", sae.Metadata.PositionPolicy);
                Assert.Equal(specs[i].Site.Layer, sae.Metadata.Layer);
                Assert.Equal(0.05, sae.Metadata.MaskRateMin);
            }

        // ΔLM with the first SAE spliced at layer 0.
        using (var sae0 = run.ExportSae(0))
        {
            var delta = DeltaLm.Evaluate(model, sae0, Layer0Post, heldOut, new DeltaLmOptions { Seed = 5 });
            output.WriteLine($"ΔLM {delta.Delta:F4} (clean {delta.Overall.CleanLoss:F4}, spliced {delta.Overall.SaeLoss:F4}, {delta.Overall.MaskedTokens} masked tokens); " +
                string.Join("; ", delta.Buckets.Select(b => $"[{b.Low}, {b.High}): {b.Scores?.Delta:F4}")));
            Assert.True(double.IsFinite(delta.Delta));
            Assert.True(delta.Overall.MaskedTokens > 0);
        }

        // Saved in SAELens format with the DLM metadata.
        var folder = Path.Combine(Path.GetTempPath(), "sae-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            var written = run.SaveSaes(folder);
            using var loaded = SaeLoader.Load(written[0], expectedDIn: d);
            using var exported = run.ExportSae(0);
            Assert.True(loaded.W_enc.equal(exported.W_enc) && loaded.b_dec.equal(exported.b_dec));
            Assert.Equal("llada-tiny", loaded.Metadata.ModelName);
            Assert.Equal("mask", loaded.Metadata.PositionPolicy);
            Assert.Equal(0.5, loaded.Metadata.MaskRateMax);
            Assert.Equal(0, loaded.Metadata.Layer);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static Dictionary<string, Tensor> FinalState(SaeTrainingRun run) =>
        run.Trainers.SelectMany((t, i) => t.GetState().Select(kv => ($"{i}.{kv.Key}", kv.Value))).ToDictionary(x => x.Item1, x => x.Item2);

    [Theory]
    [InlineData(false)]   // a crash: resume from the last periodic checkpoint and redo the lost steps
    [InlineData(true)]    // a graceful stop: checkpoint written at cancellation
    public void ResumingAfterAnInterruptionGivesBitIdenticalResults(bool checkpointOnCancel)
    {
        using var scope = NewDisposeScope();
        using var model = LoadLlada();
        var d = model.Spec.HiddenSize;
        var sequences = Sequences(24, 10, 20, 500, seed: 4);
        var sourceOptions = new ActivationSourceOptions { Sites = [Layer0Post, Layer1Mid], Policy = PositionPolicy.Unmasked, Seed = 8 };
        SaeTrainingSpec[] specs =
        [
            new(Layer0Post, new SaeConfig { DIn = d, DSae = 128, K = 4 }),
            new(Layer1Mid, new SaeConfig { DIn = d, DSae = 128, K = 6, Architecture = SaeArchitecture.JumpReLU }),
        ];
        const long steps = 16;
        var root = Path.Combine(Path.GetTempPath(), "sae-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            Dictionary<string, Tensor> expected;
            using (var source = new DenoiserActivationSource(model, sequences, sourceOptions))
            using (var run = new SaeTrainingRun(source, specs, RunOptions(steps, Path.Combine(root, "a"))))
            {
                run.Train();
                expected = FinalState(run);
            }

            var dir = Path.Combine(root, "b");
            using (var cts = new CancellationTokenSource())
            using (var source = new DenoiserActivationSource(model, sequences, sourceOptions))
            using (var run = new SaeTrainingRun(source, specs, RunOptions(steps, dir) with { CheckpointOnCancel = checkpointOnCancel }))
            {
                var progress = new SyncProgress<SaeTrainingProgress>(p => { if (p.Step == 12) cts.Cancel(); });
                Assert.ThrowsAny<OperationCanceledException>(() => run.Train(progress, cts.Token));
                Assert.Equal(12, run.Step);
            }
            Assert.EndsWith(checkpointOnCancel ? "step-0000000012" : "step-0000000010", SaeTrainingRun.LatestCheckpoint(dir));

            using (var source = new DenoiserActivationSource(model, sequences, sourceOptions))
            using (var run = new SaeTrainingRun(source, specs, RunOptions(steps, dir)))
            {
                run.Train();
                Assert.Equal(checkpointOnCancel ? 12 : 10, run.ResumedFromStep);
                Assert.Equal(steps, run.Step);
                var actual = FinalState(run);
                Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
                foreach (var (key, value) in expected)
                    Assert.True(value.equal(actual[key]), $"{key} differs after resuming");
            }
            // Only the newest checkpoints are kept.
            Assert.Equal(2, Directory.GetDirectories(dir, "step-*").Length);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Fact]
    public void ACheckpointOfAnotherRunIsRejected()
    {
        using var scope = NewDisposeScope();
        var site = new ResidualSite(0, HookPoint.ResidPost);
        var root = Path.Combine(Path.GetTempPath(), "sae-reject-" + Guid.NewGuid().ToString("N"));
        try
        {
            Tensor Sample(long rows, Generator g) => randn([rows, 16], ScalarType.Float32, null, g);
            using (var source = new GeneratedActivationSource(site, 16, Sample, rowsPerBatch: 32))
            using (var run = new SaeTrainingRun(source, [new SaeTrainingSpec(site, new SaeConfig { DIn = 16, DSae = 32, K = 2 })], RunOptions(3, root)))
                run.Train();
            using var other = new GeneratedActivationSource(site, 16, Sample, rowsPerBatch: 32);
            using var mismatched = new SaeTrainingRun(other, [new SaeTrainingSpec(site, new SaeConfig { DIn = 16, DSae = 64, K = 2 })], RunOptions(3, root));
            var error = Assert.Throws<InvalidDataException>(() => mismatched.Train());
            Assert.Contains("w64", error.Message);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }
}

/// <summary>An IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
