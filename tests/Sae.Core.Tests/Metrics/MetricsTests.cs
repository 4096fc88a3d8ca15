using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Metrics;
using DiffusionSteering.Sae.Core.Tests.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Metrics;

/// <summary>Held-out metrics match their definitions; ΔLM is the spliced minus the clean loss on the same corrupted batch.</summary>
public class MetricsTests
{
    /// <summary>An "SAE" whose reconstruction is a fixed function of x and whose latents are given.</summary>
    private sealed class FakeSae(int dIn, int dSae, Func<Tensor, Tensor> reconstruct, Func<Tensor, Tensor>? latents = null) : ISparseAutoencoder
    {
        public int DIn => dIn;
        public int DSae => dSae;
        public SaeArchitecture Architecture => SaeArchitecture.TopK;
        public SaeMetadata Metadata => new();
        public ScalarType DType => ScalarType.Float32;
        public Device Device => CPU;
        public Tensor PreActivations(Tensor x) => throw new NotSupportedException();
        public Tensor DenseEncode(Tensor x) => throw new NotSupportedException();
        public Tensor Encode(Tensor x) => latents?.Invoke(x) ?? zeros([.. x.shape[..^1], dSae]);
        public SparseCode EncodeSparse(Tensor x) => throw new NotSupportedException();
        public Tensor Decode(Tensor z) => throw new NotSupportedException();
        public Tensor Decode(SparseCode code) => throw new NotSupportedException();
        public (Tensor reconstruction, Tensor latents) Forward(Tensor x) => (reconstruct(x), Encode(x));
        public Tensor DecoderDirection(long feature) => throw new NotSupportedException();
        public void MoveTo(Device device, ScalarType? dtype = null) { }
        public void Dispose() { }
    }

    [Fact]
    public void MetricsFollowTheirDefinitionsOverallAndPerBucket()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        const int n = 3000, d = 10;
        var x = randn([n, d], ScalarType.Float32, null, g) * 2 + 1;
        var rates = rand([n], ScalarType.Float32, null, g);
        using var sae = new SparseAutoencoder(new SaeConfig { DIn = d, DSae = 40, K = 3 }, generator: g);
        using (no_grad()) sae.b_dec.copy_(x.mean(dim: 0));
        var buckets = new MaskRateBuckets([0, 0.25, 0.5, 1.0]);
        using var evaluator = new SaeEvaluator(sae, buckets, denseThreshold: 0.2, chunkRows: 700);
        evaluator.Add(x.narrow(0, 0, 1234), rates.narrow(0, 0, 1234));
        evaluator.Add(x.narrow(0, 1234, n - 1234), rates.narrow(0, 1234, n - 1234));
        var metrics = evaluator.Compute();

        // Relative tolerance: the evaluator sums in float64 through per-bucket matrix products, the check directly.
        static void Close(double expected, double actual, double tolerance) =>
            Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)) * 100, $"expected {expected}, got {actual}");

        void Check(ReconstructionMetrics m, Tensor xs)
        {
            using var s = NewDisposeScope();
            using var noGrad = no_grad();
            var (xhat, z) = sae.Forward(xs);
            var x64 = xs.to(ScalarType.Float64);
            var r = x64 - xhat.to(ScalarType.Float64);
            // Eq. 15: 1 − Σ_d Var(r_d) / Σ_d Var(x_d) (population variances).
            var ev = 1 - r.var(0, unbiased: false).sum().item<double>() / x64.var(0, unbiased: false).sum().item<double>();
            var fvu = r.square().sum().item<double>() / (x64 - x64.mean(0, keepdim: true)).square().sum().item<double>();
            var cos = ((x64 * xhat.to(ScalarType.Float64)).sum(1) / (x64.norm(1) * xhat.to(ScalarType.Float64).norm(1))).mean().item<double>();
            var ratio = (xhat.to(ScalarType.Float64).norm(1) / x64.norm(1)).mean().item<double>();
            var freq = z.gt(0).to(ScalarType.Float64).mean(dim: 0).data<double>();
            Assert.Equal(xs.size(0), m.Tokens);
            Close(ev, m.ExplainedVariance, 1e-9);
            Close(fvu, m.Fvu, 1e-9);
            Close(r.square().mean().item<double>(), m.Mse, 1e-9);
            Close(z.gt(0).sum(1).to(ScalarType.Float64).mean().item<double>(), m.L0, 1e-9);
            Close(cos, m.CosineSimilarity, 1e-9);
            Close(ratio, m.L2Ratio, 1e-9);
            Assert.Equal(freq.Count(f => f == 0) / 40.0, m.DeadFraction, 12);
            Assert.Equal(freq.Count(f => f > 0.2) / 40.0, m.DenseFraction, 12);
            Assert.Equal(freq, m.Frequencies, (a, b) => Math.Abs(a - b) < 1e-12);
            Assert.Equal(40, m.Histogram.Counts.Sum() + m.Histogram.Dead);
            Assert.True(ev != 1 - fvu, "the test data should tell EV (residual mean removed) from 1 − FVU");
        }

        Check(metrics.Overall, x);
        Assert.Equal(3, metrics.Buckets.Count);
        for (var b = 0; b < 3; b++)
        {
            var (low, high, m) = metrics.Buckets[b];
            var inBucket = rates.ge(low).logical_and(b == 2 ? rates.le(high) : rates.lt(high));
            Check(m!, x.index_select(0, inBucket.nonzero().squeeze(1)));
        }
    }

    [Fact]
    public void APerfectReconstructionScoresOneAndAZeroOneScoresZero()
    {
        using var scope = NewDisposeScope();
        var x = randn(500, 6) + 3;
        using (var perfect = new SaeEvaluator(new FakeSae(6, 4, t => t.clone())))
        {
            perfect.Add(x);
            var m = perfect.Compute().Overall;
            Assert.Equal(1.0, m.ExplainedVariance, 12);
            Assert.Equal(0.0, m.Fvu, 12);
            Assert.Equal(1.0, m.CosineSimilarity, 9);
            Assert.Equal(1.0, m.L2Ratio, 9);
            Assert.Equal(1.0, m.RelativeReconstructionBias, 9);
            Assert.Equal(1.0, m.DeadFraction);
            Assert.All(perfect.Compute().Buckets, b => Assert.Null(b.Metrics));   // no mask rates given
        }
        using var mean = new SaeEvaluator(new FakeSae(6, 4, t => t.mean(0, keepdim: true).expand_as(t).contiguous(),
            t => ones([t.size(0), 4])));
        mean.Add(x);
        var mm = mean.Compute().Overall;
        Assert.Equal(0.0, mm.ExplainedVariance, 9);
        Assert.Equal(1.0, mm.Fvu, 9);
        Assert.Equal(4.0, mm.L0);
        Assert.Equal(1.0, mm.DenseFraction);
    }

    [Fact]
    public void DeltaLmIsTheSplicedMinusTheCleanLossOnTheSameCorruption()
    {
        using var scope = NewDisposeScope();
        using var model = TrainingRunTests.LoadLlada();
        var d = model.Spec.HiddenSize;
        var sequences = TrainingRunTests.Sequences(6, 10, 10, 500, seed: 9);
        var site = new ResidualSite(0, HookPoint.ResidPost);
        var options = new DeltaLmOptions { Seed = 4, SequencesPerForward = 6, Buckets = new MaskRateBuckets([0.0, 0.25, 0.5]) };

        // The identity splice changes nothing: ΔLM is exactly 0, and the clean loss is Eq. 7 (1/t-weighted, per masked token).
        var identity = DeltaLm.Evaluate(model, new FakeSae(d, 8, t => t.clone()), site, sequences, options);
        Assert.Equal(0.0, identity.Delta);
        Assert.Equal(0.0, identity.Overall.DeltaUnmasked);
        // Zero-ablating the residual: the clean loss is the same corrupted batch's, the spliced one is Eq. 7 with the hook.
        var ablated = DeltaLm.Evaluate(model, new FakeSae(d, 8, t => zeros_like(t)), site, sequences, options);
        Assert.Equal(identity.Overall.CleanLoss, ablated.Overall.CleanLoss);
        using (var g = new Generator(4))
        using (no_grad())
        {
            var ids = tensor(sequences.SelectMany(s => s).ToArray(), [6, 10]);
            var rates = MaskCorruption.SampleMaskRates(6, 0.05, 0.5, g);
            var protect = MaskCorruption.ProtectPrefix(10, 1);
            using var corrupted = MaskCorruption.Corrupt(ids, rates, model.Spec.MaskTokenId, protect, g);
            var clean = DlmLoss.Compute(model, ids, corrupted).item<double>();
            Assert.True(Math.Abs(clean - identity.Overall.CleanLoss) <= 1e-5 * clean, $"clean loss {identity.Overall.CleanLoss}, Eq. 7 gives {clean}");
            double spliced;
            using (model.Hooks.Add(0, HookPoint.ResidPost, (in HookContext c, Tensor r) => zeros_like(r)))
                spliced = DlmLoss.Compute(model, ids, corrupted).item<double>();
            Assert.True(Math.Abs(spliced - ablated.Overall.SaeLoss) <= 1e-5 * spliced, $"spliced loss {ablated.Overall.SaeLoss}, Eq. 7 with the hook gives {spliced}");
            Assert.True(Math.Abs(ablated.Delta) > 0.1, $"zero-ablation ΔLM {ablated.Delta}");
            Assert.Equal(corrupted.MaskedPositions.sum().item<long>(), identity.Overall.MaskedTokens);
            var inFirst = rates.lt(0.25).sum().item<long>();
            Assert.Equal(inFirst, identity.Buckets[0].Scores?.Sequences ?? 0);
            Assert.Equal(6 - inFirst, identity.Buckets[1].Scores?.Sequences ?? 0);
        }
        Assert.Throws<ArgumentException>(() => DeltaLm.Evaluate(model, new FakeSae(d + 1, 8, t => t), site, sequences, options));
    }
}
