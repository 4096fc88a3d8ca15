using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Sae.Core.Tests.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Activations;

/// <summary>The denoiser activation source corrupts, reads and keeps positions as specified; the sampling collector reads real runs.</summary>
public class ActivationSourceTests
{
    private static readonly ResidualSite L0Post = new(0, HookPoint.ResidPost);
    private static readonly ResidualSite L1Pre = new(1, HookPoint.ResidPre);
    private static readonly ResidualSite L1Post = new(1, HookPoint.ResidPost);

    [Fact]
    public void KeptRowsAreTheResidualsAtThePolicyPositionsOfTheCorruptedInput()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingRunTests.LoadLlada();
        var sequences = TrainingRunTests.Sequences(5, 6, 14, 500, seed: 3);
        foreach (var policy in Enum.GetValues<PositionPolicy>())
        {
            var options = new ActivationSourceOptions { Sites = [L1Post], Policy = policy, Seed = 17, SequencesPerForward = 5, MaskRateMin = 0.2, MaskRateMax = 0.6 };
            using var source = new DenoiserActivationSource(model, sequences, options);
            using var batch = source.Next()!;

            // Reproduce the corruption with a generator in the same state and read the residual with a plain hook.
            using var g = new Generator(17);
            var (ids, valid, length) = ModelInputs.Pad(sequences, model.Spec.PadTokenId!.Value);
            var clean = tensor(ids, [5, length]);
            var validT = tensor(valid, [5, length]);
            var rates = MaskCorruption.SampleMaskRates(5, 0.2, 0.6, g);
            var protect = validT.logical_not().logical_or(arange(0, length, ScalarType.Int64).eq(0).unsqueeze(0));
            using var corrupted = MaskCorruption.Corrupt(clean, rates, model.Spec.MaskTokenId, protect, g);
            Tensor? residual = null;
            using (no_grad())
            using (model.Hooks.Add(1, HookPoint.ResidPost, (in HookContext c, Tensor r) => { residual = r.clone().DetachFromDisposeScope(); return null; }))
                model.Forward(new DiffusionSteering.Diffusion.Models.Denoising.DenoiserInput(corrupted.NoisyIds) { AttentionMask = validT.to(ScalarType.Int64) });
            var keep = policy switch
            {
                PositionPolicy.Masked => corrupted.MaskedPositions,
                PositionPolicy.Unmasked => corrupted.MaskedPositions.logical_not().logical_and(validT),
                _ => validT,
            };
            var index = keep.reshape(-1).nonzero().squeeze(1);
            var expected = residual!.reshape(-1, model.Spec.HiddenSize).index_select(0, index);
            Assert.Equal(expected.shape, batch[L1Post].shape);
            Assert.True((expected - batch[L1Post]).abs().max().item<float>() <= 1e-5, $"{policy}: rows differ");
            Assert.True(batch.Masked.equal(corrupted.MaskedPositions.reshape(-1).index_select(0, index)));
            Assert.True(batch.MaskRate.equal(rates.unsqueeze(1).expand(5, length).reshape(-1).index_select(0, index)));
            // The first token is never masked, padding never kept.
            Assert.False(corrupted.MaskedPositions.select(1, 0).any().item<bool>());
            residual.Dispose();
        }
    }

    [Theory]
    [InlineData("llada-tiny")]
    [InlineData("dream-tiny")]
    [InlineData("mdlm-tiny")]
    [InlineData("mdlm-tiny-timecond")]
    public void EveryFixtureFamilyFeedsActivationsAndDeltaLm(string name)
    {
        using var scope = NewDisposeScope();
        using var model = DiffusionSteering.Diffusion.Models.Checkpoints.DenoiserLoader.CreateDefault().Load(DiffusionSteering.Tests.FixturePaths.Fixture("models", name));
        var d = model.Spec.HiddenSize;
        // MDLM has no padding support: equal lengths there.
        var sequences = TrainingRunTests.Sequences(4, name.StartsWith("mdlm") ? 12 : 8, 12, 500, seed: 2);
        using var source = new DenoiserActivationSource(model, sequences, new ActivationSourceOptions { Sites = [L0Post, L1Post], Policy = PositionPolicy.Unmasked, Seed = 3 });
        using var batch = source.Next()!;
        Assert.Equal(d, batch.Width);
        Assert.True(batch.Count > 0);
        Assert.False(batch.Masked.any().item<bool>());
        using var full = new DenoiserActivationSource(model, sequences, new ActivationSourceOptions { Sites = [L0Post, L1Post], Policy = PositionPolicy.Unmasked, Seed = 3, StopAfterLastSite = false });
        using var reference = full.Next()!;
        Assert.True(batch[L0Post].equal(reference[L0Post]) && batch[L1Post].equal(reference[L1Post]));

        using var sae = new DiffusionSteering.Sae.Core.Architectures.SparseAutoencoder(new SaeConfig { DIn = d, DSae = 32, K = 4 });
        var delta = DiffusionSteering.Sae.Core.Metrics.DeltaLm.Evaluate(model, sae, L1Post, sequences);
        Assert.True(double.IsFinite(delta.Delta) && delta.Overall.MaskedTokens > 0, $"{name}: ΔLM {delta.Delta}");
    }

    [Fact]
    public void SeveralSitesComeFromOneForwardAndStoppingEarlyChangesNothing()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingRunTests.LoadLlada();
        var sequences = TrainingRunTests.Sequences(6, 8, 12, 500, seed: 5);
        var both = new ActivationSourceOptions { Sites = [L1Post, L0Post], Policy = PositionPolicy.All, Seed = 1, SequencesPerForward = 3 };
        using var joint = new DenoiserActivationSource(model, sequences, both);
        using var full = new DenoiserActivationSource(model, sequences, both with { StopAfterLastSite = false });
        using var shallow = new DenoiserActivationSource(model, sequences, both with { Sites = [L0Post] });
        using var a = joint.Next()!;
        using var b = full.Next()!;
        using var c = shallow.Next()!;
        Assert.Equal([L0Post, L1Post], a.Sites);
        Assert.True(a[L0Post].equal(b[L0Post]) && a[L1Post].equal(b[L1Post]));
        Assert.True(a[L0Post].equal(c[L0Post]));
        // resid_pre of block 1 is resid_post of block 0.
        using var pre = new DenoiserActivationSource(model, sequences, both with { Sites = [L1Pre] });
        using var d = pre.Next()!;
        Assert.True(d[L1Pre].equal(a[L0Post]));
    }

    [Fact]
    public void ExcludingTheFirstTokenAndCyclingWork()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingRunTests.LoadLlada();
        var sequences = TrainingRunTests.Sequences(3, 5, 5, 500, seed: 6);
        var options = new ActivationSourceOptions { Sites = [L0Post], Policy = PositionPolicy.All, SequencesPerForward = 2, ExcludeFirstToken = true, Repeat = false };
        using var source = new DenoiserActivationSource(model, sequences, options);
        using var first = source.Next()!;
        using var second = source.Next()!;
        Assert.Equal(2 * 4, first.Count);
        Assert.Equal(4, second.Count);
        Assert.Null(source.Next());
        using var cycling = new DenoiserActivationSource(model, sequences, options with { Repeat = true });
        for (var i = 0; i < 3; i++) cycling.Next()!.Dispose();
        Assert.Equal(1, cycling.Epoch);
    }

    [Fact]
    public void TheSamplingCollectorKeepsEveryStepsMaskedPositions()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingRunTests.LoadLlada();
        var prompts = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 4]);
        using var collector = new SamplingActivationCollector([L0Post, L1Post], PositionPolicy.Masked, promptLength: 4);
        var sampler = new LladaSampler(new LladaSamplerOptions { Steps = 4, GenLength = 8, BlockLength = 8 });
        var recorder = new MaskCounter();
        using var result = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = [1UL, 2UL], Observers = [collector, recorder] });
        using var batch = collector.TakeBatch()!;
        // 2 rows × (8 + 6 + 4 + 2) masked generated positions over the four steps.
        Assert.Equal(recorder.MaskedAtInput.Sum(), batch.Count);
        Assert.Equal(2 * (8 + 6 + 4 + 2), batch.Count);
        Assert.True(batch.Masked.all().item<bool>());
        Assert.Equal([L0Post, L1Post], batch.Sites);
        Assert.Equal(model.Spec.HiddenSize, batch.Width);
        var times = batch.MaskRate.data<float>().Distinct().Count();
        Assert.Equal(4, times);
        Assert.Null(collector.TakeBatch());
    }

    private sealed class MaskCounter : ISamplerObserver
    {
        public List<long> MaskedAtInput { get; } = new();
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [];
        public void OnStep(SamplerStep step)
        {
            using var count = step.Context.MaskedPositions.sum();
            MaskedAtInput.Add(count.item<long>());
        }
    }
}
