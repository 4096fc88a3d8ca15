namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A split pattern given as a regular expression, matched on code points.</summary>
internal sealed class RegexSplitPattern : ISplitPattern
{
    private readonly CodePointRegex _regex;

    /// <summary>Compiles the pattern.</summary>
    /// <param name="pattern">The regular expression.</param>
    /// <exception cref="ArgumentException">The pattern is not valid .NET regex syntax.</exception>
    public RegexSplitPattern(string pattern) => _regex = new CodePointRegex(pattern);

    /// <inheritdoc/>
    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches) => _regex.FindMatches(text, matches);
}
