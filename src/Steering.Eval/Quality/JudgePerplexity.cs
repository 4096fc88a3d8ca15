using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Steering.Eval.Quality;

/// <summary>
/// Perplexity of generated text under a judge model: any <see cref="IDenoiser"/> (the generator itself, a larger DLM,
/// or another family). Perplexity here is exp of the per-token Monte-Carlo DLM loss (<see cref="DlmNll"/>), i.e. of the
/// negative ELBO, so it is an upper bound on the judge's true perplexity (in expectation), not an exact likelihood as an
/// autoregressive judge would give.
/// </summary>
public static class JudgePerplexity
{
    /// <summary>Perplexity bounds of token id sequences (ids must be in the judge's vocabulary).</summary>
    /// <param name="judge">The judge model.</param>
    /// <param name="texts">Token id sequences in the judge's vocabulary.</param>
    /// <param name="prompts">Optional prompt per text, conditioning the judge without being scored.</param>
    /// <param name="options">Monte-Carlo settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    public static NllSummary Compute(
        IDenoiser judge, IEnumerable<IReadOnlyList<long>> texts, IReadOnlyList<IReadOnlyList<long>>? prompts = null,
        DlmNllOptions? options = null, CancellationToken cancellationToken = default) =>
        DlmNll.EstimateMany(judge, texts, prompts, options, cancellationToken);

    /// <summary>Perplexity bounds of texts re-tokenised with the judge's tokenizer.</summary>
    /// <param name="judge">The judge model.</param>
    /// <param name="tokenizer">The judge's tokenizer.</param>
    /// <param name="texts">The texts (each must encode to at least one token).</param>
    /// <param name="options">Monte-Carlo settings; defaults when null.</param>
    /// <param name="addSpecialTokens">Whether the tokenizer adds its special tokens.</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    public static NllSummary Compute(
        IDenoiser judge, Tokenizer tokenizer, IEnumerable<string> texts, DlmNllOptions? options = null, bool addSpecialTokens = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        var encoded = new List<IReadOnlyList<long>>();
        foreach (string? text in texts)
        {
            encoded.Add(Array.ConvertAll(
                tokenizer.Encode(text ?? throw new ArgumentException($"Text {encoded.Count} is null.", nameof(texts)), addSpecialTokens), id => (long)id));
        }

        return DlmNll.EstimateMany(judge, encoded, null, options, cancellationToken);
    }
}
