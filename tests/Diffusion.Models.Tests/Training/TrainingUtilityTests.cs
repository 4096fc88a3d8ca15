using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Tests.Training;

/// <summary>A denoiser whose prediction ignores its input: row v of a fixed logit table at every position.</summary>
internal sealed class ContextFreeDenoiser : IDenoiser
{
    private readonly Tensor _logits;

    public ContextFreeDenoiser(float[] logits)
    {
        _logits = tensor(logits).DetachFromDisposeScope();
        Spec = new DenoiserSpec("context-free", logits.Length, logits.Length - 1, 1, 4, 1024);
        Hooks = new ResidualHooks(1);
    }

    public DenoiserSpec Spec { get; }
    public ScalarType DType => ScalarType.Float32;
    public Device Device => CPU;
    public ResidualHooks Hooks { get; }
    public int Calls { get; private set; }

    public Tensor Forward(DenoiserInput input)
    {
        Calls++;
        var shape = input.InputIds.shape;
        return _logits.expand(shape[0], shape[1], _logits.size(0)).clone();
    }

    public Tensor PredictionLogProbs(Tensor logits, Tensor inputIds) => logits.log_softmax(-1);
    public void Dispose() => _logits.Dispose();
}

public class TrainingUtilityTests
{
    [Fact]
    public void CorruptionMasksAtRateTAndNeverTheProtectedPositions()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var ids = randint(0, 50, [400, 64], generator: g);
        var rates = tensor(Enumerable.Range(0, 400).Select(i => i < 200 ? 0.1f : 0.6f).ToArray());
        var protect = MaskCorruption.ProtectPrefix(64, 1);
        using var batch = MaskCorruption.Corrupt(ids, rates, 99, protect, g);
        Assert.False(batch.MaskedPositions.select(1, 0).any().item<bool>(), "the first token was masked");
        Assert.True(batch.NoisyIds.masked_select(batch.MaskedPositions).eq(99).all().item<bool>());
        Assert.True(batch.NoisyIds.masked_select(batch.MaskedPositions.logical_not()).equal(ids.masked_select(batch.MaskedPositions.logical_not())));
        var low = batch.MaskedPositions.narrow(0, 0, 200).narrow(1, 1, 63).to(ScalarType.Float32).mean().item<float>();
        var high = batch.MaskedPositions.narrow(0, 200, 200).narrow(1, 1, 63).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(low, 0.09, 0.11);
        Assert.InRange(high, 0.58, 0.62);
    }

    [Fact]
    public void DlmLossIsTheOneOverTWeightedMaskedCrossEntropy()
    {
        using var scope = NewDisposeScope();
        var table = new float[] { 1.0f, 2.0f, 0.5f, -1.0f, 0.0f };
        using var model = new ContextFreeDenoiser(table);
        var clean = tensor(new long[] { 0, 1, 2, 3, 1, 1 }, [2, 3]);
        var masked = tensor(new[] { true, false, true, false, true, true }, [2, 3]);
        var rates = tensor(new[] { 0.5f, 0.25f });
        var batch = new CorruptedBatch(clean.masked_fill(masked, 4), masked, rates);
        // Independent expectation: log-softmax by hand in double.
        var logZ = Math.Log(table.Sum(v => Math.Exp(v)));
        double Nll(int token) => logZ - table[token];
        var expectedSum = (Nll(0) + Nll(2)) / 0.5 + (Nll(1) + Nll(1)) / 0.25;
        var perMasked = DlmLoss.Compute(model, clean, batch).item<float>();
        var perToken = DlmLoss.Compute(model, clean, batch, DlmLossReduction.PerToken).item<float>();
        Assert.Equal(expectedSum / 4, perMasked, 5);
        Assert.Equal(expectedSum / 6, perToken, 5);
    }

    [Fact]
    public void MonteCarloLikelihoodIsUnbiasedForAContextFreeModel()
    {
        var table = new float[] { 0.3f, 1.2f, -0.4f, 2.0f, 0.1f, -5f };
        using var model = new ContextFreeDenoiser(table);
        var logZ = Math.Log(table.Sum(v => Math.Exp(v)));
        long[] prompt = [0, 1], answer = [3, 2, 2, 4, 1];
        var exact = answer.Sum(t => table[t] - logZ);   // log p(answer) for a model that ignores context
        using var g = new Generator(9);
        var estimate = MonteCarloLikelihood.LogLikelihood(model, prompt, answer, draws: 256, batchSize: 16, generator: g);
        Assert.InRange(estimate, exact - 0.35, exact + 0.35);
        Assert.Equal(16, model.Calls);
    }
}
