using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Steering.Eval.DecodingOrder;
using DiffusionSteering.Steering.Eval.Reports;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Tests.DecodingOrder;

/// <summary>The observers on the fixture LLaDA model with a random SAE, cross-checked against the pure functions.</summary>
public sealed class DecodingOrderObserverTests : IDisposable
{
    private const int PromptLength = 6, GenLength = 16, Steps = 8, Rows = 3;
    private readonly IDenoiser _model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));
    private readonly SparseAutoencoder _sae;
    private readonly Tensor _prompts;
    private static readonly LladaSamplerOptions Options = new() { Steps = Steps, GenLength = GenLength, BlockLength = 8 };

    public DecodingOrderObserverTests()
    {
        using var g = new Generator(11);
        _sae = new SparseAutoencoder(new SaeConfig { DIn = _model.Spec.HiddenSize, DSae = 96, K = 8 }, generator: g);
        var random = new Random(5);
        _prompts = tensor(Enumerable.Range(0, Rows * PromptLength).Select(_ => (long)random.Next(0, 500)).ToArray(), [Rows, PromptLength]).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        _model.Dispose();
        _sae.Dispose();
        _prompts.Dispose();
    }

    /// <summary>Keeps every step's hidden states and input mask.</summary>
    private sealed class Probe(ResidualSite site) : ISamplerObserver, IDisposable
    {
        public readonly List<Tensor> Hidden = new();
        public readonly List<bool[]> Masked = new();
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [site];
        public void OnStep(SamplerStep step)
        {
            Hidden.Add(step.HiddenStates[site].clone().DetachFromDisposeScope());
            Masked.Add(step.Context.MaskedPositions.data<bool>());
        }
        public void Dispose() => Hidden.ForEach(h => h.Dispose());
    }

    [Fact]
    public void ObserverAgreesWithThePureFunctionsOnRecordedCodes()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var options = new DecodingOrderOptions { TopK = 4, ProgressBins = 16 };
        var observer = new DecodingOrderObserver(_sae, [0, 1], HookPoint.ResidPost, options);
        using var probe = new Probe(new ResidualSite(1, HookPoint.ResidPost));
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Observers = [observer, probe] })) { }
        var result = observer.Result();
        Assert.Equal([0, 1], result.Layers.Select(l => l.Layer));
        var layer1 = result.Layers[1];
        Assert.Equal(Rows, layer1.Sequences);
        Assert.Equal(1, layer1.Runs);

        // Independent recomputation from the recorded hidden states of layer 1.
        var length = PromptLength + GenLength;
        var trajectories = new List<LatentTrajectory>();
        var codes = probe.Hidden.Select(h => _sae.Encode(h).to(ScalarType.Float32).data<float>()).ToArray();   // [B·L·96] per step
        for (var r = 0; r < Rows; r++)
        {
            var stepCodes = new List<float[][]>();
            var stepMasks = new List<bool[]>();
            for (var k = 0; k < Steps; k++)
            {
                stepCodes.Add(Enumerable.Range(0, length).Select(p => codes[k].AsSpan((r * length + p) * 96, 96).ToArray()).ToArray());
                stepMasks.Add(probe.Masked[k].AsSpan(r * length, length).ToArray());
            }
            trajectories.Add(new LatentTrajectory(stepCodes, stepMasks, Steps));
        }
        var expected = DecodingOrderMath.Evaluate(trajectories, options, 1);
        for (var s = 0; s < expected.AllSeries.Count; s++)
        {
            var (e, a) = (expected.AllSeries[s], layer1.AllSeries[s]);
            Assert.Equal(e.Count, a.Count);
            Assert.Equal(e.Mean, a.Mean, 9);
            Assert.Equal(e.StepCounts, a.StepCounts);
            Assert.Equal(e.ProgressCounts, a.ProgressCounts);
            Assert.Equal(e.UnitCounts, a.UnitCounts);
        }
        Assert.Equal(expected.FlipCounts, layer1.FlipCounts);

        // LLaDA commits 2 of the 16 generated tokens per step: the last 2 are never seen decoded, so 14 per row have τ.
        Assert.Equal(Rows * (GenLength - 2), layer1.FlipCounts.Count);
        // Masked transitions: at step k ≥ 1, 16 − 2k positions are masked in the input (and were at k − 1).
        Assert.Equal(Rows * Enumerable.Range(1, Steps - 1).Sum(k => GenLength - 2 * k), layer1.PreMaskStability.Count);
        Assert.Equal(layer1.PreMaskStability.Count, layer1.LockRate.Count);
        Assert.InRange(layer1.PreMaskStability.Mean, 0, 1);
        Assert.InRange(layer1.LockRate.Mean, 0, 1);
        Assert.NotNull(layer1.PreMaskStability.Interval());

        // The report helpers accept the result.
        var heatmap = ReportCharts.DecodingOrderHeatmap(result, l => l.LockRate, "top-1 lock rate");
        Assert.Contains("<svg", heatmap);
        Assert.Equal(2 * 5, ReportCharts.DecodingOrderTable(result).Rows.Count);
    }

    [Fact]
    public void ObserverPoolsRunsAndRejectsJoiningMidRun()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var observer = new DecodingOrderObserver(_sae, [0], options: new DecodingOrderOptions { TopK = 4, Code = LatentCode.Dense });
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Observers = [observer] })) { }
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts.narrow(0, 0, 2), Observers = [observer] })) { }
        var layer = observer.Result().Layers[0];
        Assert.Equal(2, layer.Runs);
        Assert.Equal(Rows + 2, layer.Sequences);
        Assert.Equal((Rows + 2) * (GenLength - 2), layer.FlipCounts.Count);

        Assert.Throws<ArgumentException>(() => new DecodingOrderObserver(_sae, [0, 0]));
        Assert.Throws<ArgumentException>(() => new DecodingOrderObserver(_sae, []));
        Assert.Throws<ArgumentException>(() => new DecodingOrderObserver(new Dictionary<ResidualSite, ISparseAutoencoder>()));
    }

    [Fact]
    public void FeatureStepRecorderSplitsActivationsByMaskState()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] features = [3, 17];
        var recorder = new FeatureStepRecorder(_sae, 1, features, generatedFrom: PromptLength);
        using var probe = new Probe(new ResidualSite(1, HookPoint.ResidPost));
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Observers = [recorder, probe] })) { }
        var profile = recorder.Profile(17);
        Assert.Equal(Steps, profile.Steps);
        Assert.True(double.IsNaN(profile.UnmaskedMean[0]));   // every generated position is masked at step 0
        var expected0 = _sae.Encode(probe.Hidden[0].narrow(1, PromptLength, GenLength)).select(-1, 17).mean().item<float>();
        Assert.Equal(expected0, profile.MaskedMean[0], 5);
        // step 1: positions committed at step 0 are unmasked; recompute the unmasked mean by hand
        var acts = _sae.Encode(probe.Hidden[1]).select(-1, 17).to(ScalarType.Float32).data<float>();
        var mask = probe.Masked[1];
        var length = PromptLength + GenLength;
        var unmasked = Enumerable.Range(0, Rows * length).Where(i => i % length >= PromptLength && !mask[i]).Select(i => (double)acts[i]).ToArray();
        Assert.Equal(Rows * 2, unmasked.Length);
        Assert.Equal(unmasked.Average(), profile.UnmaskedMean[1], 5);
        Assert.Throws<ArgumentException>(() => recorder.Profile(5));
        Assert.Throws<ArgumentException>(() => new FeatureStepRecorder(_sae, 1, [96]));

        var html = FeatureDashboard.RenderHtml(new FeatureDashboardData { FeatureIndex = 17, StepProfile = profile });
        Assert.Contains("masked positions", html);
    }
}
