using DiffusionSteering.Sae.Core.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Training;

/// <summary>
/// The sparse TopK path (chunked no-grad encoder, embedding-bag decoder, surrogate encoder gradient) gives the same
/// gradients as plain dense autograd of the same loss, written here independently.
/// </summary>
public class TrainerGradientTests
{
    private const int DIn = 24, DSae = 96, K = 6, Batch = 200;

    private static Tensor Data(ulong seed)
    {
        using var g = new Generator(seed);
        return (randn([Batch, DIn], ScalarType.Float32, null, g) * 3 + 1).DetachFromDisposeScope();
    }

    /// <summary>Dense reference: z = scatter(TopK(ReLU((x − b_dec)W_enc + b_enc))), L = mean‖x − zW_dec − b_dec‖² (+ AuxK, MultiTopK levels).</summary>
    private static Dictionary<string, Tensor> Reference(SaeTrainer trainer, Tensor raw, Tensor? dead, int[]? levels, bool preActivationAux = false)
    {
        var sae = trainer.Sae;
        var wEnc = sae.W_enc.detach().clone().requires_grad_();
        var bEnc = sae.b_enc.detach().clone().requires_grad_();
        var wDec = sae.W_dec.detach().clone().requires_grad_();
        var bDec = sae.b_dec.detach().clone().requires_grad_();
        var x = raw / trainer.ActivationScale;
        var pre = (x - bDec).matmul(wEnc) + bEnc;
        var post = pre.relu();
        var (values, indices) = post.topk(K);
        Tensor loss;
        Tensor full;
        if (levels is null)
        {
            full = zeros_like(post).scatter(1, indices, values).matmul(wDec) + bDec;
            loss = (full - x).square().sum(-1).mean();
        }
        else
        {
            loss = zeros([]);
            full = null!;
            foreach (var level in levels)
            {
                var partial = zeros_like(post).scatter(1, indices.narrow(1, 0, level), values.narrow(1, 0, level)).matmul(wDec) + bDec;
                loss = loss + (partial - x).square().sum(-1).mean();
                if (level == K) full = partial;
            }
            loss = loss / levels.Length;
        }
        if (dead is not null)
        {
            var isDead = zeros([DSae], ScalarType.Bool).index_put_([dead], tensor(true));
            var kAux = (int)Math.Min(DIn / 2, dead.numel());
            var (auxValues, auxIndices) = (preActivationAux ? pre : post).masked_fill(isDead.logical_not().unsqueeze(0), double.NegativeInfinity).topk(kAux);
            var auxRecon = zeros_like(post).scatter(1, auxIndices, auxValues).matmul(wDec);
            var e = (x - full).detach();
            var aux = (e - auxRecon).square().sum(-1).mean() / (e - e.mean(0, keepdim: true)).square().sum(-1).mean();
            loss = loss + aux / 32;
        }
        loss.backward();
        return new Dictionary<string, Tensor> { ["W_enc"] = wEnc.grad!, ["b_enc"] = bEnc.grad!, ["W_dec"] = wDec.grad!, ["b_dec"] = bDec.grad! };
    }

    private static void AssertClose(Dictionary<string, Tensor> actual, Dictionary<string, Tensor> expected)
    {
        foreach (var (name, e) in expected)
        {
            Assert.True(actual.ContainsKey(name), $"no gradient for {name}");
            var a = actual[name];
            Assert.Equal(e.shape, a.shape);
            var scale = e.abs().max().item<double>();
            var diff = (a - e).abs().max().item<double>();
            Assert.True(diff <= 1e-4 * Math.Max(scale, 1e-3), $"{name}: max abs diff {diff} (gradient scale {scale})");
        }
    }

    [Theory]
    [InlineData(false, 1000, AuxKInput.PostRelu)]
    [InlineData(true, 1000, AuxKInput.PostRelu)]
    [InlineData(true, 64, AuxKInput.PreActivation)]
    [InlineData(false, 64, AuxKInput.PostRelu)]   // several encoder chunks
    public void TopKSparseGradientsEqualDenseAutograd(bool withDeadLatents, int chunk, AuxKInput auxInput)
    {
        using var scope = NewDisposeScope();
        using var trainer = new SaeTrainer(new SaeConfig { DIn = DIn, DSae = DSae, K = K },
            new SaeTrainingOptions { Seed = 3, EncoderChunkTokens = chunk, DeadTokenWindow = 1000, AuxKInput = auxInput });
        var x = Data(7);
        trainer.TrainStep(x);   // initialise (scale, b_dec) and move away from W_enc = W_decᵀ
        Tensor? dead = null;
        if (withDeadLatents)
        {
            dead = arange(0, DSae, 3, ScalarType.Int64);
            trainer.MarkDead(dead);
        }
        var x2 = Data(8);
        var sparse = trainer.Gradients(x2);
        AssertClose(sparse, Reference(trainer, x2, dead, null, auxInput == AuxKInput.PreActivation));
    }

    [Fact]
    public void MultiTopKGradientsEqualTheMeanOverLevelsOfSortedPrefixDecodes()
    {
        using var scope = NewDisposeScope();
        var levels = new[] { 2, 4, 6 };
        using var trainer = new SaeTrainer(new SaeConfig { DIn = DIn, DSae = DSae, K = K, Architecture = SaeArchitecture.MultiTopK, KLevels = levels },
            new SaeTrainingOptions { Seed = 4 });
        var x = Data(9);
        trainer.TrainStep(x);
        var x2 = Data(10);
        AssertClose(trainer.Gradients(x2), Reference(trainer, x2, null, levels));
    }

    [Fact]
    public void JumpReluThresholdGradientIsTheStraightThroughEstimate()
    {
        using var scope = NewDisposeScope();
        var options = new SaeTrainingOptions { Seed = 5, JumpReluBandwidth = 0.5, JumpReluInitialThreshold = 0.3, L0Coefficient = 0.7, TargetL0 = 10 };
        using var trainer = new SaeTrainer(new SaeConfig { DIn = DIn, DSae = DSae, K = K, Architecture = SaeArchitecture.JumpReLU }, options);
        var x = Data(11);
        trainer.TrainStep(x);
        var x2 = Data(12);
        var grads = trainer.Gradients(x2);

        // Reference: ∂L/∂θ_j = Σ_b g_bj·(−θ_j/ε)K((h_bj − θ_j)/ε) + λ·2(L0/T − 1)/T · (1/B) Σ_b (−1/ε)K(...); ∂/∂logθ = θ·∂/∂θ,
        // with g = ∂L_recon/∂z = (2/B)(x̂ − x)W_decᵀ.
        var sae = trainer.Sae;
        using var noGrad = no_grad();
        var xs = x2 / trainer.ActivationScale;
        var h = (xs - sae.b_dec).matmul(sae.W_enc) + sae.b_enc;
        var theta = sae.threshold;
        var gate = h.gt(theta).to(ScalarType.Float32);
        var z = h * gate;
        var xhat = z.matmul(sae.W_dec) + sae.b_dec;
        var g = (xhat - xs).matmul(sae.W_dec.t()) * (2.0 / Batch);
        var eps = options.JumpReluBandwidth;
        var kernel = ((h - theta) / eps).abs().lt(0.5).to(ScalarType.Float32);
        var l0 = gate.sum(-1).mean().item<double>();
        var target = options.TargetL0!.Value;
        var dTheta = (g * kernel * (-theta / eps)).sum(dim: 0) + kernel.sum(dim: 0) * (-1.0 / eps / Batch) * (options.L0Coefficient * 2 * (l0 / target - 1) / target);
        var expected = dTheta * theta;
        var diff = (grads["log_threshold"] - expected).abs().max().item<double>();
        Assert.True(diff <= 1e-4 * Math.Max(expected.abs().max().item<double>(), 1e-3), $"log θ gradient off by {diff}");
        Assert.True(expected.abs().max().item<double>() > 0, "the test data never hit the kernel");
    }
}

/// <summary>Behaviour of the dense-path architectures over a few steps.</summary>
public class DenseArchitectureTests
{
    private static List<SaeStepStatistics> Train(SaeConfig config, SaeTrainingOptions options, int steps) => Train(config, options, steps, out _);

    private static List<SaeStepStatistics> Train(SaeConfig config, SaeTrainingOptions options, int steps, out double threshold)
    {
        using var scope = NewDisposeScope();
        using var planted = new PlantedDictionary(atoms: 64, width: 24, activePerSample: 3, noise: 0.01, seed: 1);
        using var trainer = new SaeTrainer(config, options with { TotalSteps = steps, BatchSize = 128, WarmupSteps = 5 });
        using var g = new Generator(2);
        var stats = new List<SaeStepStatistics>();
        for (var s = 0; s < steps; s++)
        {
            using var stepScope = NewDisposeScope();
            stats.Add(trainer.TrainStep(planted.Sample(128, g)));
        }
        threshold = trainer.Sae.threshold.item<double>();
        return stats;
    }

    [Fact]
    public void AStrongerL1PenaltyGivesSparserCodes()
    {
        var config = new SaeConfig { DIn = 24, DSae = 96, Architecture = SaeArchitecture.Standard };
        var weak = Train(config, new SaeTrainingOptions { L1Coefficient = 0.001, LearningRate = 3e-3 }, 80);
        var strong = Train(config, new SaeTrainingOptions { L1Coefficient = 0.3, LearningRate = 3e-3 }, 80);
        Assert.True(strong[^1].L0 < 0.75 * weak[^1].L0, $"L0 with λ = 0.3: {strong[^1].L0}, with λ = 0.001: {weak[^1].L0}");
        Assert.True(strong[^1].SparsityLoss > 0);
    }

    [Fact]
    public void BatchTopKKeepsKPerTokenOnAverageAndLearnsAThreshold()
    {
        var config = new SaeConfig { DIn = 24, DSae = 96, K = 5, Architecture = SaeArchitecture.BatchTopK };
        var stats = Train(config, new SaeTrainingOptions { LearningRate = 3e-3, ThresholdStartStep = 20, ThresholdBeta = 0.9 }, 60, out var threshold);
        Assert.All(stats, s => Assert.InRange(s.L0, 4.5, 5.0));
        Assert.True(threshold > 0, $"inference threshold {threshold}");
        Assert.True(stats[^1].Fvu < stats[0].Fvu);
    }
}
