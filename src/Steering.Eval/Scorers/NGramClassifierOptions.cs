using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>How n-gram counts become feature values.</summary>
public enum NGramWeighting
{
    /// <summary>1 when the n-gram occurs in the text, else 0 (presence).</summary>
    Binary,

    /// <summary>The number of occurrences in the text.</summary>
    TermFrequency,

    /// <summary>Occurrences divided by the number of word tokens of the text.</summary>
    NormalizedTermFrequency,
}

/// <summary>Settings of <see cref="NGramTextClassifier"/>; all are stored in its file.</summary>
public sealed record NGramClassifierOptions
{
    /// <summary>Default token pattern: runs of letters, digits, underscores and apostrophes, or single punctuation characters.</summary>
    public const string DefaultTokenPattern = @"[\w']+|[^\w\s]";

    /// <summary>Shortest n-gram (default 1: unigrams).</summary>
    public int MinN { get; init; } = 1;

    /// <summary>Longest n-gram (default 2: bigrams).</summary>
    public int MaxN { get; init; } = 2;

    /// <summary>Lower-case the text (invariant culture) before tokenising (default true).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Token regular expression (.NET syntax, culture-invariant); every match is a token.</summary>
    public string TokenPattern { get; init; } = DefaultTokenPattern;

    /// <summary>Keep only n-grams that occur in at least this many training texts (document frequency; default 2).</summary>
    public int MinCount { get; init; } = 2;

    /// <summary>Keep at most this many n-grams, the most frequent by document frequency (ties: ordinal order; default 100,000).</summary>
    public int MaxVocabulary { get; init; } = 100_000;

    /// <summary>Feature values (default <see cref="NGramWeighting.Binary"/>).</summary>
    public NGramWeighting Weighting { get; init; } = NGramWeighting.Binary;

    /// <summary>L2 penalty λ of the mean cross-entropy objective (default 1e-3; features are not standardised).</summary>
    public double L2Penalty { get; init; } = 1e-3;

    /// <summary>Maximum L-BFGS iterations (default 500).</summary>
    public int MaxIterations { get; init; } = 500;

    /// <summary>Stop when the largest absolute gradient component is below this (default 1e-6).</summary>
    public double GradientTolerance { get; init; } = 1e-6;

    /// <summary>Default settings.</summary>
    public static NGramClassifierOptions Default { get; } = new();

    internal LogisticRegressionOptions Regression =>
        new() { L2Penalty = L2Penalty, MaxIterations = MaxIterations, GradientTolerance = GradientTolerance, Standardize = false };

    internal void Validate()
    {
        if (MinN < 1 || MaxN < MinN)
        {
            throw new ArgumentException($"Need 1 ≤ MinN ≤ MaxN; got MinN = {MinN}, MaxN = {MaxN}.", nameof(MaxN));
        }

        if (MinCount < 1)
        {
            throw new ArgumentException($"MinCount must be at least 1; got {MinCount}.", nameof(MinCount));
        }

        if (MaxVocabulary < 1)
        {
            throw new ArgumentException($"MaxVocabulary must be at least 1; got {MaxVocabulary}.", nameof(MaxVocabulary));
        }

        if (!Enum.IsDefined(Weighting))
        {
            throw new ArgumentException($"Unknown weighting {Weighting}.", nameof(Weighting));
        }

        if (string.IsNullOrEmpty(TokenPattern))
        {
            throw new ArgumentException("TokenPattern must be a non-empty regular expression.", nameof(TokenPattern));
        }

        Regression.Validate();
    }
}
