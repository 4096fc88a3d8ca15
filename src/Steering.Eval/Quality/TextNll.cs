using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Quality;

/// <summary>Monte-Carlo estimate of a model's negative log-likelihood bound for one text.</summary>
/// <param name="TokenCount">Scored tokens (the text, not its prompt).</param>
/// <param name="Nll">Estimated total NLL bound in nats: the mean over draws of Σ_masked −log p / t.</param>
/// <param name="StandardError">Monte-Carlo standard error of <paramref name="Nll"/> (sample SD of the draws / √draws; conservative when the draws are stratified).</param>
/// <param name="Draws">Number of masked copies.</param>
public sealed record TextNll(int TokenCount, double Nll, double StandardError, int Draws)
{
    /// <summary>NLL bound per token (nats).</summary>
    public double PerTokenNll => Nll / TokenCount;

    /// <summary>Standard error of <see cref="PerTokenNll"/>.</summary>
    public double PerTokenStandardError => StandardError / TokenCount;

    /// <summary>exp(<see cref="PerTokenNll"/>): a perplexity bound.</summary>
    public double Perplexity => Math.Exp(PerTokenNll);
}

/// <summary>NLL bounds of a set of texts under one model.</summary>
/// <param name="Texts">Per-text estimates, in input order.</param>
/// <param name="MeanPerTokenNll">
/// Mean over texts of the per-token NLL with a confidence interval across texts (Student t); for a single text the
/// interval is the normal interval from its Monte-Carlo standard error.
/// </param>
/// <param name="PooledPerTokenNll">Σ NLL / Σ tokens over all texts (token-weighted).</param>
public sealed record NllSummary(IReadOnlyList<TextNll> Texts, ConfidenceInterval MeanPerTokenNll, double PooledPerTokenNll)
{
    /// <summary>exp of <see cref="MeanPerTokenNll"/> and of its bounds (a monotone transform of the interval).</summary>
    public ConfidenceInterval Perplexity =>
        new(Math.Exp(MeanPerTokenNll.Estimate), Math.Exp(MeanPerTokenNll.Lower), Math.Exp(MeanPerTokenNll.Upper), MeanPerTokenNll.Level);

    /// <summary>exp(<see cref="PooledPerTokenNll"/>): corpus-level perplexity bound.</summary>
    public double PooledPerplexity => Math.Exp(PooledPerTokenNll);
}
