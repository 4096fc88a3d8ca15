using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Steering.Schedules.Commitment;
using DiffusionSteering.Steering.Schedules.Directions;
using DiffusionSteering.Steering.Schedules.Interventions;
using DiffusionSteering.Steering.Schedules.Schedules;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Tests;

/// <summary>Steering on a fixture LLaDA model with a random SAE.</summary>
public sealed class SteeringEndToEndTests : IDisposable
{
    private const int Layer = 0;
    private readonly IDenoiser _model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));
    private readonly SparseAutoencoder _sae;
    private readonly Tensor _prompts;
    private static readonly LladaSamplerOptions Options = new() { Steps = 8, GenLength = 16, BlockLength = 8 };

    public SteeringEndToEndTests()
    {
        using var g = new Generator(5);
        _sae = new SparseAutoencoder(new SaeConfig { DIn = _model.Spec.HiddenSize, DSae = 96, K = 8 }, generator: g);
        var random = new Random(3);
        _prompts = tensor(Enumerable.Range(0, 3 * 6).Select(_ => (long)random.Next(0, 500)).ToArray(), [3, 6]).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        _model.Dispose();
        _sae.Dispose();
        _prompts.Dispose();
    }

    private SamplingResult Sample(params IResidualIntervention[] interventions) =>
        new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Interventions = interventions });

    /// <summary>Reads the downstream layer's residual at the last denoising step.</summary>
    private sealed class LastStepProbe(ResidualSite site) : ISamplerObserver, IDisposable
    {
        public Tensor? Last;
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [site];
        public void OnStep(SamplerStep step)
        {
            Last?.Dispose();
            Last = step.HiddenStates[site].clone().DetachFromDisposeScope();
        }
        public void Dispose() => Last?.Dispose();
    }

    /// <summary>
    /// Mean activation of a feature, over the generated positions, in the representation of the final denoising step
    /// one block downstream of the intervention (layer 1, after a full transformer block).
    /// </summary>
    private double DownstreamActivation(long feature, params IResidualIntervention[] interventions)
    {
        using var scope = NewDisposeScope();
        using var probe = new LastStepProbe(new ResidualSite(Layer + 1, HookPoint.ResidPost));
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Interventions = interventions, Observers = [probe] })) { }
        return _sae.DenseEncode(probe.Last!.narrow(1, 6, 16)).select(-1, feature).mean().item<float>();
    }

    [Fact]
    public void SteeringAnAtomMovesItsActivationInTheExpectedDirection()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        const long feature = 17;
        using var direction = SteeringDirection.FromSaeFeature(_sae, feature);
        var baseline = DownstreamActivation(feature);
        var raised = DownstreamActivation(feature, new FeatureSteering(_model, direction, new UniformSchedule(4.0), Layer));
        var lowered = DownstreamActivation(feature, new FeatureSteering(_model, direction, new UniformSchedule(-4.0), Layer));
        Assert.True(raised > baseline, $"α > 0 did not raise the feature downstream ({raised} vs {baseline})");
        Assert.True(lowered < baseline, $"α < 0 did not lower the feature downstream ({lowered} vs {baseline})");
        using var plain = Sample();
        using var steered = Sample(new FeatureSteering(_model, direction, new UniformSchedule(12.0), Layer));
        Assert.False(plain.Sequences.equal(steered.Sequences), "strong steering changed no token");
    }

    [Fact]
    public void ZeroStrengthAndEmptyWindowReproduceTheUnsteeredRunBitForBit()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var direction = SteeringDirection.FromSaeFeature(_sae, 3);
        using var plain = Sample();
        using var zero = Sample(new FeatureSteering(_model, direction, new UniformSchedule(0), Layer));
        using var empty = Sample(new FeatureSteering(_model, direction, new WindowSchedule(50, 0.5, 0.5), Layer));
        Assert.True(plain.Sequences.equal(zero.Sequences));
        Assert.True(plain.Sequences.equal(empty.Sequences));
    }

    /// <summary>Captures the residual before (a user hook registered first) and after (an observer) the interventions.</summary>
    private sealed class EditProbe : ISamplerObserver, IDisposable
    {
        private readonly IDisposable _hook;
        public readonly List<Tensor> Before = new(), After = new(), Masked = new();
        public EditProbe(IDenoiser model, ResidualSite site)
        {
            Site = site;
            _hook = model.Hooks.Add(site.Layer, site.Point, (in HookContext c, Tensor r) =>
            {
                if (c.State is StepContext) Before.Add(r.clone().DetachFromDisposeScope());
                return null;
            });
        }
        public ResidualSite Site { get; }
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [Site];
        public void OnStep(SamplerStep step)
        {
            After.Add(step.HiddenStates[Site].clone().DetachFromDisposeScope());
            Masked.Add(step.Context.MaskedPositions.clone().DetachFromDisposeScope());
        }
        public void Dispose()
        {
            _hook.Dispose();
            foreach (var t in Before.Concat(After).Concat(Masked)) t.Dispose();
        }
    }

    private EditProbe Probe(IResidualIntervention intervention)
    {
        var probe = new EditProbe(_model, new ResidualSite(Layer, HookPoint.ResidMid));
        using var result = new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Interventions = [intervention], Observers = [probe] });
        return probe;
    }

    [Fact]
    public void UpdateScopeTouchesExactlyTheMaskedPositions()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var direction = SteeringDirection.FromSaeFeature(_sae, 5);
        using var probe = Probe(new FeatureSteering(_model, direction, new UniformSchedule(2), Layer, HookPoint.ResidMid, TokenScope.Masked));
        Assert.Equal(8, probe.After.Count);
        for (var t = 0; t < 8; t++)
        {
            var touched = (probe.After[t] - probe.Before[t]).abs().amax([-1]).gt(0);
            Assert.True(touched.equal(probe.Masked[t]), $"step {t}: edited positions differ from the masked positions");
        }
    }

    [Fact]
    public void TopKScopeTouchesKPositionsPerRowWhereTheFeatureIsLargest()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var direction = SteeringDirection.FromSaeFeature(_sae, 9);
        using var probe = Probe(new FeatureSteering(_model, direction, new UniformSchedule(2), Layer, HookPoint.ResidMid, TokenScope.TopKFeature(_sae, 9, k: 3)));
        for (var t = 0; t < 8; t++)
        {
            var touched = (probe.After[t] - probe.Before[t]).abs().amax([-1]).gt(0);
            Assert.True(touched.sum(1).eq(3).all().item<bool>(), $"step {t}: not exactly 3 positions per row");
            var (_, expected) = _sae.DenseEncode(probe.Before[t]).select(-1, 9).topk(3);
            var expectedMask = zeros_like(touched).scatter(1, expected, true);
            Assert.True(touched.equal(expectedMask), $"step {t}: edited positions are not the feature's top 3");
        }
    }

    [Fact]
    public void OverlappingInterventionsAddAndDisjointWindowsDoNotInteract()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var a = SteeringDirection.FromSaeFeature(_sae, 1);
        using var b = SteeringDirection.FromSaeFeature(_sae, 2);
        using var sum = SteeringDirection.FromVector(a.Vector * 1.5 + b.Vector * -2.0);
        // Overlapping: A(1.5) + B(−2) on every step equals one intervention along 1.5·a − 2·b.
        using var both = Probe(new CompositeOf(new FeatureSteering(_model, a, new UniformSchedule(1.5), Layer, HookPoint.ResidMid),
                                               new FeatureSteering(_model, b, new UniformSchedule(-2.0), Layer, HookPoint.ResidMid)));
        using var single = Probe(new FeatureSteering(_model, sum, new UniformSchedule(1), Layer, HookPoint.ResidMid));
        for (var t = 0; t < 8; t++)
            Assert.True((both.After[t] - single.After[t]).abs().max().item<float>() < 1e-5, $"step {t}: overlapping edits do not add");

        // Disjoint windows: in each half only its own intervention acts (edit = α·v of that one).
        using var split = Probe(new CompositeOf(new FeatureSteering(_model, a, new WindowSchedule(1.5, 0, 0.5), Layer, HookPoint.ResidMid),
                                                new FeatureSteering(_model, b, new WindowSchedule(-2.0, 0.5, 1), Layer, HookPoint.ResidMid)));
        for (var t = 0; t < 8; t++)
        {
            var expectedEdit = t < 4 ? a.Vector * 1.5 : b.Vector * -2.0;
            var edit = split.After[t] - split.Before[t];
            Assert.True((edit - expectedEdit).abs().max().item<float>() < 1e-5, $"step {t}: the edit is not the active window's alone");
        }
    }

    /// <summary>Several interventions presented as one (the sampler applies them in order).</summary>
    private sealed class CompositeOf(params IResidualIntervention[] parts) : IResidualIntervention
    {
        public IReadOnlyCollection<ResidualSite> Sites => parts.SelectMany(p => p.Sites).Distinct().ToList();
        public Tensor? Apply(StepContext step, ResidualSite site, Tensor residual)
        {
            var current = residual;
            foreach (var p in parts) current = p.Apply(step, site, current) ?? current;
            return ReferenceEquals(current, residual) ? null : current;
        }
    }

    [Fact]
    public void CommitmentRecorderProducesAProfileOfTheRunsSteps()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var recorder = new CommitmentRecorder(_sae, Layer, [1, 2, 3], generatedFrom: 6);
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts, Observers = [recorder] })) { }
        using (new LladaSampler(Options).Sample(_model, new SamplingRequest { PromptIds = _prompts.narrow(0, 0, 2), Observers = [recorder] })) { }
        var record = recorder.Record();
        Assert.Equal(new[] { 5, 8, 3 }, new[] { record.GetLength(0), record.GetLength(1), record.GetLength(2) });
        var profile = recorder.BuildProfile("llada-tiny", "test", keep: [true, false, true, true, false], costModel: CostModel.TokensCommitted);
        Assert.Equal(8, profile.Steps);
        Assert.Equal(3, profile.SamplesKept);
        Assert.Equal(1.0, profile.BlockFractions.Sum(), 9);
        Assert.All(profile.Cost, c => Assert.Equal(2.0, c, 9));   // 16 tokens over 8 steps: 2 committed per step
        Assert.True(profile.PredictedEfficiencyRatio >= 1);
        // h̄(0) is the kept samples' mean at step 0, independently recomputed.
        var expected0 = new[] { 0, 2, 3 }.SelectMany(i => Enumerable.Range(0, 3).Select(j => record[i, 0, j])).Average();
        Assert.Equal(expected0, profile.MeanActivation[0], 9);
    }

    [Fact]
    public void MeasurementKeepsOnlyAcceptedSamples()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var recorder = new CommitmentRecorder(_sae, Layer, [4, 5], generatedFrom: 6);
        var sampler = new LladaSampler(Options with { Temperature = 0.7 });
        // Accept a sample when its last token is even: an arbitrary but deterministic filter.
        var (profile, confidences) = CommitmentMeasurement.Measure((r, ct) => sampler.Sample(_model, r, ct), _prompts, [1UL, 2UL, 3UL], recorder,
            ids => ids[^1] % 2 == 0 ? 1.0 : 0.0, 0.5, "llada-tiny", "even-ending", batchSize: 2);
        Assert.Equal(3, confidences.Count);
        Assert.Equal(3, profile.SamplesRecorded);
        Assert.Equal(confidences.Count(c => c >= 0.5), profile.SamplesKept);
        Assert.Equal("0.5", profile.Settings["acceptance_threshold"]);
    }

    [Fact]
    public void BadSteeringInputIsRejected()
    {
        using var wrong = SteeringDirection.FromVector(ones(7));
        Assert.Contains("hidden size", Assert.Throws<ArgumentException>(() => new FeatureSteering(_model, wrong, new UniformSchedule(1), 0)).Message);
        using var right = SteeringDirection.FromSaeFeature(_sae, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureSteering(_model, right, new UniformSchedule(1), _model.Spec.NumLayers));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureSteering(_model, right, new UniformSchedule(1), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenScope.TopKFeature(_sae, 500));
        Assert.Throws<ArgumentException>(() => SteeringDirection.FromVector(ones(2, 3)));
    }
}
