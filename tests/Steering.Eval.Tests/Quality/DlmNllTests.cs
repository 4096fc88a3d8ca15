using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Steering.Eval.Quality;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Tests.Quality;

/// <summary>A denoiser whose logits ignore the input: the same fixed row at every position.</summary>
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
        long[] shape = input.InputIds.shape;
        return _logits.expand(shape[0], shape[1], _logits.size(0)).clone();
    }

    public Tensor PredictionLogProbs(Tensor logits, Tensor inputIds) => logits.log_softmax(-1);
    public void Dispose() => _logits.Dispose();
}

public class DlmNllTests
{
    private static readonly float[] Table = [0.3f, 1.2f, -0.4f, 2.0f, 0.1f, -1.5f, 0.7f, -5f];

    /// <summary>Exact Σ −log p(token) for the context-free model, computed by hand in double.</summary>
    private static double ExactNll(IEnumerable<long> tokens)
    {
        double logZ = Math.Log(Table.Sum(v => Math.Exp(v)));
        return tokens.Sum(t => logZ - Table[t]);
    }

    [Fact]
    public void MonteCarloNllEqualsTheExactNllForAContextFreeModel()
    {
        using var model = new ContextFreeDenoiser(Table);
        long[] text = [3, 0, 1, 1, 4, 2, 6, 5, 3, 0];
        double exact = ExactNll(text);
        var options = new DlmNllOptions { Draws = 4096, BatchSize = 512, Seed = 11 };
        TextNll estimate = DlmNll.Estimate(model, text, options: options);
        Assert.Equal(8, model.Calls);
        Assert.Equal(10, estimate.TokenCount);
        Assert.Equal(4096, estimate.Draws);
        Assert.True(Math.Abs(estimate.Nll - exact) <= 4 * estimate.StandardError, $"estimate {estimate.Nll} ± {estimate.StandardError}, exact {exact}");
        Assert.Equal(exact / 10, estimate.PerTokenNll, 1); // within 0.05 nats per token
        Assert.True(Math.Abs(estimate.PerTokenNll - (exact / 10)) / (exact / 10) < 0.03);
        Assert.Equal(Math.Exp(estimate.PerTokenNll), estimate.Perplexity, 12);

        // Independent (unstratified) mask rates are unbiased too.
        TextNll independent = DlmNll.Estimate(model, text, options: options with { Stratified = false, Seed = 12 });
        Assert.True(Math.Abs(independent.Nll - exact) <= 4 * independent.StandardError, $"estimate {independent.Nll} ± {independent.StandardError}, exact {exact}");
    }

    [Fact]
    public void PromptTokensConditionButAreNeverScored()
    {
        using var model = new ContextFreeDenoiser(Table);
        long[] prompt = [7, 7, 7, 7];
        long[] text = [1, 3, 3];
        TextNll estimate = DlmNll.Estimate(model, text, prompt, new DlmNllOptions { Draws = 4096, BatchSize = 1024, Seed = 5 });
        double exact = ExactNll(text);
        Assert.Equal(3, estimate.TokenCount);
        Assert.True(Math.Abs(estimate.Nll - exact) <= 4 * estimate.StandardError, $"estimate {estimate.Nll} ± {estimate.StandardError}, exact {exact}");
        // Token 7 has logit −5: scoring the prompt would add ≈ 4·7.4 nats.
        Assert.True(estimate.Nll < exact + 2);
    }

    [Fact]
    public void SummaryHasAnIntervalAcrossTextsAndPooledPerplexity()
    {
        using var model = new ContextFreeDenoiser(Table);
        long[][] texts = [[3, 3, 3, 3], [0, 1, 2, 4, 6, 5], [5, 5]];
        NllSummary summary = DlmNll.EstimateMany(model, texts, options: new DlmNllOptions { Draws = 2048, BatchSize = 512, Seed = 2 });
        Assert.Equal(3, summary.Texts.Count);
        double mean = summary.Texts.Average(t => t.PerTokenNll);
        Assert.Equal(mean, summary.MeanPerTokenNll.Estimate, 12);
        Assert.True(summary.MeanPerTokenNll.Lower < mean && mean < summary.MeanPerTokenNll.Upper);
        Assert.Equal(summary.Texts.Sum(t => t.Nll) / 12.0, summary.PooledPerTokenNll, 12);
        Assert.Equal(Math.Exp(summary.MeanPerTokenNll.Upper), summary.Perplexity.Upper, 12);
        Assert.Equal(Math.Exp(summary.PooledPerTokenNll), summary.PooledPerplexity, 12);
        for (int i = 0; i < texts.Length; i++)
        {
            TextNll t = summary.Texts[i];
            Assert.True(Math.Abs(t.Nll - ExactNll(texts[i])) <= 4 * t.StandardError, $"text {i}: {t.Nll} ± {t.StandardError}, exact {ExactNll(texts[i])}");
        }

        // One text: the interval comes from its Monte-Carlo standard error.
        NllSummary single = DlmNll.Summarize([summary.Texts[0]]);
        double half = 1.959963984540054 * summary.Texts[0].PerTokenStandardError;
        Assert.Equal(summary.Texts[0].PerTokenNll - half, single.MeanPerTokenNll.Lower, 9);

        // The judge facade is the same estimate.
        NllSummary judged = JudgePerplexity.Compute(model, texts, options: new DlmNllOptions { Draws = 2048, BatchSize = 512, Seed = 2 });
        Assert.Equal(summary.MeanPerTokenNll, judged.MeanPerTokenNll);
    }

    [Fact]
    public void FixtureModelGivesAFiniteReproducibleBound()
    {
        using IDenoiser model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));
        long[][] texts = [[10, 20, 30, 40, 50, 60, 70, 80], [5, 6, 7, 8, 9, 10]];
        var options = new DlmNllOptions { Draws = 32, BatchSize = 16, Seed = 4 };
        NllSummary a = DlmNll.EstimateMany(model, texts, [[1, 2], [3]], options);
        NllSummary b = JudgePerplexity.Compute(model, texts, [[1, 2], [3]], options);
        Assert.Equal(a.Texts.Select(t => t.Nll), b.Texts.Select(t => t.Nll));
        Assert.All(a.Texts, t => Assert.True(double.IsFinite(t.Nll) && t.Nll > 0 && t.StandardError > 0, t.ToString()));
        Assert.True(a.Perplexity.Estimate > 1);
        NllSummary other = DlmNll.EstimateMany(model, texts, [[1, 2], [3]], options with { Seed = 5 });
        Assert.NotEqual(a.Texts[0].Nll, other.Texts[0].Nll);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        using var model = new ContextFreeDenoiser(Table);
        Assert.Throws<ArgumentException>(() => DlmNll.Estimate(model, Array.Empty<long>()));
        ArgumentException outside = Assert.Throws<ArgumentException>(() => DlmNll.Estimate(model, [1, 9]));
        Assert.Contains("9", outside.Message);
        Assert.Throws<ArgumentException>(() => DlmNll.Estimate(model, [1, 2], [-1]));
        Assert.Throws<ArgumentException>(() => DlmNll.Estimate(model, Enumerable.Repeat(1L, 2000).ToArray()));
        Assert.Throws<ArgumentException>(() => DlmNll.Estimate(model, [1], options: new DlmNllOptions { Draws = 1 }));
        Assert.Throws<ArgumentException>(() => DlmNll.Estimate(model, [1], options: new DlmNllOptions { MinMaskRate = 0 }));
        Assert.Throws<ArgumentException>(() => DlmNll.EstimateMany(model, []));
        ArgumentException mismatch = Assert.Throws<ArgumentException>(() => DlmNll.EstimateMany(model, [[1L], [2L]], [[0L]]));
        Assert.Contains("mismatch", mismatch.Message);
        Assert.Throws<ArgumentException>(() => DlmNll.Summarize([]));
    }
}
