using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Steering.Eval.Text;

namespace DiffusionSteering.Steering.Eval.Quality;

/// <summary>
/// Diversity and repetition of generations given as model token ids: thin wrappers over <see cref="Text.DistinctN"/>
/// and <see cref="Text.RepetitionRate"/>, plus trimming of trailing end-of-text/padding ids (which would otherwise count
/// as repeats).
/// </summary>
public static class TokenDiversity
{
    /// <summary>Corpus-level distinct-n over token id sequences.</summary>
    /// <param name="generations">Token ids per generation.</param>
    /// <param name="n">n-gram order.</param>
    public static DistinctNResult DistinctN(IEnumerable<IReadOnlyList<long>> generations, int n) => Text.DistinctN.Compute(generations, n);

    /// <summary>Corpus-level distinct-n over int token id sequences (as tokenizers return them).</summary>
    /// <param name="generations">Token ids per generation.</param>
    /// <param name="n">n-gram order.</param>
    public static DistinctNResult DistinctN(IEnumerable<IReadOnlyList<int>> generations, int n) => Text.DistinctN.Compute(generations, n);

    /// <summary>Repetition rate of one token id sequence.</summary>
    /// <param name="tokens">The ids.</param>
    /// <param name="n">n-gram order.</param>
    public static double RepetitionRate(IReadOnlyList<long> tokens, int n) => Text.RepetitionRate.Compute(tokens, n);

    /// <summary>Mean repetition rate over generations with a Student-t interval (at least two generations).</summary>
    /// <param name="generations">Token ids per generation.</param>
    /// <param name="n">n-gram order.</param>
    /// <param name="level">Confidence level.</param>
    public static ConfidenceInterval MeanRepetitionRate(IEnumerable<IReadOnlyList<long>> generations, int n, double level = 0.95) =>
        Text.RepetitionRate.Mean(generations, n, level);

    /// <summary>The ids without any trailing run of the given ids (e.g. EOS and padding after the generated text).</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="trailing">Ids to strip from the end.</param>
    public static long[] TrimTrailing(IReadOnlyList<long> ids, params long[] trailing)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(trailing);
        int end = ids.Count;
        while (end > 0 && Array.IndexOf(trailing, ids[end - 1]) >= 0)
        {
            end--;
        }

        var result = new long[end];
        for (int i = 0; i < end; i++)
        {
            result[i] = ids[i];
        }

        return result;
    }
}
