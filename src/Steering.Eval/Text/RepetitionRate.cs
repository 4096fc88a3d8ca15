using System.Text.RegularExpressions;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Text;

/// <summary>
/// Within-text repetition: the fraction of a text's n-gram positions whose n-gram already occurred at an earlier
/// position of the same text. For tokens t_1..t_L with n-grams g_i = (t_i, …, t_{i+n−1}), i = 1..L−n+1,
/// rate = #{i : ∃ j &lt; i, g_j = g_i} / (L − n + 1) = 1 − (distinct n-grams of the text) / (L − n + 1).
/// 0 means no repeated n-gram; values near 1 indicate degenerate loops. A text shorter than n has no n-grams and rate 0.
/// </summary>
public static class RepetitionRate
{
    /// <summary>Repetition rate of one token sequence.</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="tokens">The text's tokens.</param>
    /// <param name="n">n-gram order, at least 1.</param>
    /// <param name="comparer">Token equality; the default comparer when null.</param>
    public static double Compute<T>(IReadOnlyList<T> tokens, int n, IEqualityComparer<T>? comparer = null)
    {
        TextArguments.RequireOrder(n);
        T[] array = TextArguments.Tokens(tokens, 0, nameof(tokens));
        int total = array.Length - n + 1;
        if (total <= 0)
        {
            return 0.0;
        }

        var seen = new NGramSet<T>(n, comparer);
        int repeats = 0;
        for (int start = 0; start < total; start++)
        {
            if (!seen.Add(array, start))
            {
                repeats++;
            }
        }

        return (double)repeats / total;
    }

    /// <summary>Repetition rate of one text's word tokens (case-sensitive).</summary>
    /// <param name="text">The text.</param>
    /// <param name="n">n-gram order, at least 1.</param>
    /// <param name="tokenPattern">Word pattern for <see cref="WordTokenizer.SplitRegex"/>; null splits on whitespace.</param>
    public static double Compute(string text, int n, Regex? tokenPattern = null) =>
        Compute(WordTokenizer.Split(text, tokenPattern), n, StringComparer.Ordinal);

    /// <summary>Mean repetition rate over generations with a Student-t confidence interval (see <see cref="MeanInterval.StudentT"/>).</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="generations">At least two token sequences.</param>
    /// <param name="n">n-gram order, at least 1.</param>
    /// <param name="level">Confidence level, default 0.95.</param>
    /// <param name="comparer">Token equality; the default comparer when null.</param>
    public static ConfidenceInterval Mean<T>(IEnumerable<IReadOnlyList<T>> generations, int n, double level = 0.95, IEqualityComparer<T>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(generations);
        double[] rates = generations.Select(g => Compute(g, n, comparer)).ToArray();
        return MeanInterval.StudentT(rates, level);
    }
}
