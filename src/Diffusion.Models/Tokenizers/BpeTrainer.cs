namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Trains a byte-level BPE tokenizer (GPT-2 style) from raw texts. Texts are split with the GPT-2 pattern and
/// mapped to the byte-level alphabet; special tokens occurring in the texts are cut out. The vocabulary is: the
/// special tokens (ids 0..k-1), the 256 byte-level characters sorted by code point, then one token per merge.
/// Each step merges the most frequent adjacent pair, ties broken by the smaller (left id, right id) pair, so the
/// result is deterministic and independent of text order. Pair counts are maintained incrementally.
/// </summary>
public sealed class BpeTrainer
{
    /// <summary>Creates a trainer.</summary>
    /// <param name="vocabSize">The target vocabulary size, special tokens and the 256 byte tokens included.</param>
    /// <param name="specialTokens">Special tokens, given ids 0, 1, ... in order (e.g. "&lt;|endoftext|&gt;").</param>
    /// <param name="minFrequency">Pairs seen fewer times than this are never merged (training may stop early).</param>
    /// <exception cref="ArgumentException">The settings are inconsistent.</exception>
    public BpeTrainer(int vocabSize, IEnumerable<string>? specialTokens = null, int minFrequency = 2)
    {
        var specials = (specialTokens ?? []).ToArray();
        foreach (var special in specials)
        {
            if (string.IsNullOrEmpty(special)) throw new ArgumentException("Special tokens must be non-empty.", nameof(specialTokens));
            if (special.Length == 1 && ByteLevelAlphabet.CharToByte(special[0]) >= 0)
                throw new ArgumentException($"Special token '{special}' collides with a byte-level alphabet token.", nameof(specialTokens));
        }
        if (specials.Distinct(StringComparer.Ordinal).Count() != specials.Length)
            throw new ArgumentException("Special tokens must be distinct.", nameof(specialTokens));
        if (vocabSize < specials.Length + 256)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"The vocabulary must hold the {specials.Length} special tokens and the 256 byte tokens.");
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);
        VocabSize = vocabSize;
        SpecialTokens = specials;
        MinFrequency = minFrequency;
    }

    /// <summary>The target vocabulary size.</summary>
    public int VocabSize { get; }

    /// <summary>The special tokens (ids 0..k-1).</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The minimum pair frequency for a merge.</summary>
    public int MinFrequency { get; }

    /// <summary>Learns the vocabulary and merges from <paramref name="texts"/>.</summary>
    /// <param name="texts">Training texts (enumerated once).</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The trained vocabulary and merges, which can be saved as <c>tokenizer.json</c>.</returns>
    public BpeTrainingResult Train(IEnumerable<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counter = new TrainingWordCounter(SpecialTokens);
        foreach (var text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(text, nameof(texts));
            counter.Add(text);
        }

        var initial = new List<string>(SpecialTokens);
        foreach (char c in ByteLevelAlphabet.SortedCharacters()) initial.Add(c.ToString());
        var learner = new BpeMergeLearner(initial, counter.Counts);
        var merges = learner.Learn(VocabSize, MinFrequency, cancellationToken);
        return new BpeTrainingResult(SpecialTokens, learner.Tokens.ToArray(), merges);
    }
}
