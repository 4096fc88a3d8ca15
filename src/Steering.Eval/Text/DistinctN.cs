using System.Text.RegularExpressions;

namespace DiffusionSteering.Steering.Eval.Text;

/// <summary>
/// Corpus-level distinct-n (Li et al. 2016): the number of unique n-grams divided by the total number of n-grams, pooled
/// over a set of generations. An n-gram never spans two generations; generations shorter than n contribute nothing.
/// </summary>
public static class DistinctN
{
    /// <summary>Distinct-n over token sequences (e.g. model token ids).</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="generations">One token sequence per generation; at least one n-gram overall.</param>
    /// <param name="n">n-gram order, at least 1.</param>
    /// <param name="comparer">Token equality; the default comparer when null.</param>
    public static DistinctNResult Compute<T>(IEnumerable<IReadOnlyList<T>> generations, int n, IEqualityComparer<T>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(generations);
        TextArguments.RequireOrder(n);
        var set = new NGramSet<T>(n, comparer);
        long total = 0;
        int count = 0;
        foreach (IReadOnlyList<T> generation in generations)
        {
            T[] tokens = TextArguments.Tokens(generation, count, nameof(generations));
            count++;
            for (int start = 0; start + n <= tokens.Length; start++)
            {
                set.Add(tokens, start);
                total++;
            }
        }

        if (count == 0)
        {
            throw new ArgumentException("At least one generation is required.", nameof(generations));
        }

        if (total == 0)
        {
            throw new ArgumentException($"No generation has at least {n} tokens, so distinct-{n} is undefined.", nameof(generations));
        }

        return new DistinctNResult(n, set.Count, total);
    }

    /// <summary>Distinct-n over the word tokens of each text (case-sensitive).</summary>
    /// <param name="texts">Generated texts.</param>
    /// <param name="n">n-gram order, at least 1.</param>
    /// <param name="tokenPattern">Word pattern for <see cref="WordTokenizer.SplitRegex"/>; null splits on whitespace.</param>
    public static DistinctNResult Compute(IEnumerable<string> texts, int n, Regex? tokenPattern = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return Compute(
            texts.Select(t => (IReadOnlyList<string>)WordTokenizer.Split(t ?? throw new ArgumentException("A text is null.", nameof(texts)), tokenPattern)),
            n,
            StringComparer.Ordinal);
    }
}
