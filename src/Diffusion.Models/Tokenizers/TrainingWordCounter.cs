namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Counts the pre-tokenized words of training texts: GPT-2 regex split, byte-level mapping, with special tokens
/// cut out of the text (they are never part of a word).
/// </summary>
internal sealed class TrainingWordCounter
{
    private readonly ByteLevelPreTokenizer _preTokenizer = new(addPrefixSpace: false, useRegex: true);
    private readonly AddedTokenMatcher _specials;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly List<(string Text, int TokenId)> _segments = new();
    private readonly List<string> _words = new();

    /// <summary>Creates a counter.</summary>
    /// <param name="specialTokens">Special token strings to remove from the texts.</param>
    public TrainingWordCounter(IReadOnlyList<string> specialTokens)
    {
        _specials = new AddedTokenMatcher(specialTokens.Select((s, i) => (s, AddedToken.SpecialToken(i, s))));
    }

    /// <summary>Word (in the byte-level alphabet) to number of occurrences.</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>Adds the words of one text.</summary>
    /// <param name="text">A training text.</param>
    public void Add(string text)
    {
        _segments.Clear();
        _specials.Split(text, _segments);
        foreach (var (segment, tokenId) in _segments)
        {
            if (tokenId >= 0) continue;
            _words.Clear();
            _preTokenizer.PreTokenize(segment, _words);
            foreach (var word in _words)
            {
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, word, out _)++;
            }
        }
    }
}
