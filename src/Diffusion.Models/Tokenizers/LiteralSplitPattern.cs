namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A split pattern given as a literal string (ordinal comparison).</summary>
internal sealed class LiteralSplitPattern : ISplitPattern
{
    private readonly string _literal;

    /// <summary>Creates the pattern.</summary>
    /// <param name="literal">The delimiter text; an empty literal never matches.</param>
    public LiteralSplitPattern(string literal) => _literal = literal;

    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        if (_literal.Length == 0) return;
        int offset = 0;
        while (offset <= text.Length - _literal.Length)
        {
            int found = text[offset..].IndexOf(_literal, StringComparison.Ordinal);
            if (found < 0) break;
            int start = offset + found;
            matches.Add((start, start + _literal.Length));
            offset = start + _literal.Length;
        }
    }
}
