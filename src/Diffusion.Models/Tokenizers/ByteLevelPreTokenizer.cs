namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// The <c>ByteLevel</c> pre-tokenizer: optionally prefixes a space, optionally splits with the GPT-2 regex
/// (delimiters isolated), then rewrites each piece's UTF-8 bytes as byte-level alphabet characters.
/// </summary>
internal sealed class ByteLevelPreTokenizer : IPreTokenizer
{
    private readonly bool _addPrefixSpace;
    private readonly SplitPreTokenizer? _splitter;

    /// <summary>Creates the pre-tokenizer.</summary>
    /// <param name="addPrefixSpace">Whether to prepend a space to pieces that do not start with one.</param>
    /// <param name="useRegex">Whether to split with the GPT-2 pattern before the byte mapping.</param>
    public ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
    {
        _addPrefixSpace = addPrefixSpace;
        _splitter = useRegex
            ? new SplitPreTokenizer(new RegexSplitPattern(TokenizerPatterns.Gpt2), SplitBehavior.Isolated, invert: false)
            : null;
    }

    /// <inheritdoc/>
    public void PreTokenize(string piece, List<string> output)
    {
        if (piece.Length == 0) return;
        if (_addPrefixSpace && piece[0] != ' ') piece = " " + piece;
        if (_splitter is null)
        {
            output.Add(ByteLevelAlphabet.Encode(piece));
            return;
        }
        foreach (var (start, end) in _splitter.Split(piece))
            output.Add(ByteLevelAlphabet.Encode(piece.AsSpan(start, end - start)));
    }
}
