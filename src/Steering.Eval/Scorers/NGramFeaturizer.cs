using System.Text.RegularExpressions;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>Turns texts into n-gram counts and, given a vocabulary, into sparse feature rows.</summary>
internal sealed class NGramFeaturizer
{
    private readonly NGramClassifierOptions _options;
    private readonly Regex _pattern;

    public NGramFeaturizer(NGramClassifierOptions options)
    {
        _options = options;
        try
        {
            _pattern = new Regex(options.TokenPattern, RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"TokenPattern '{options.TokenPattern}' is not a valid regular expression: {e.Message}", nameof(options), e);
        }
    }

    /// <summary>The word tokens of a text.</summary>
    public string[] Tokens(string text)
    {
        string source = _options.Lowercase ? text.ToLowerInvariant() : text;
        MatchCollection matches = _pattern.Matches(source);
        var tokens = new string[matches.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = matches[i].Value;
        }

        return tokens;
    }

    /// <summary>n-gram → occurrences in the text (n-grams joined by single spaces), and the number of word tokens.</summary>
    public (Dictionary<string, int> Counts, int TokenCount) Count(string text)
    {
        string[] tokens = Tokens(text);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = _options.MinN; n <= _options.MaxN; n++)
        {
            for (int start = 0; start + n <= tokens.Length; start++)
            {
                string gram = n == 1 ? tokens[start] : string.Join(' ', tokens, start, n);
                counts[gram] = counts.GetValueOrDefault(gram) + 1;
            }
        }

        return (counts, tokens.Length);
    }

    /// <summary>The vocabulary of the training texts: document frequency ≥ MinCount, most frequent first, capped.</summary>
    public string[] BuildVocabulary(IEnumerable<Dictionary<string, int>> documents)
    {
        var frequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Dictionary<string, int> document in documents)
        {
            foreach (string gram in document.Keys)
            {
                frequency[gram] = frequency.GetValueOrDefault(gram) + 1;
            }
        }

        return frequency
            .Where(kv => kv.Value >= _options.MinCount)
            .OrderByDescending(kv => kv.Value)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(_options.MaxVocabulary)
            .Select(kv => kv.Key)
            .ToArray();
    }

    /// <summary>Sparse feature row of counted n-grams over a vocabulary index.</summary>
    public List<(int Column, double Value)> Row(Dictionary<string, int> counts, int tokenCount, Dictionary<string, int> vocabulary)
    {
        var row = new List<(int, double)>();
        foreach ((string gram, int count) in counts)
        {
            if (vocabulary.TryGetValue(gram, out int column))
            {
                double value = _options.Weighting switch
                {
                    NGramWeighting.Binary => 1.0,
                    NGramWeighting.TermFrequency => count,
                    _ => (double)count / tokenCount,
                };
                row.Add((column, value));
            }
        }

        row.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return row;
    }
}
