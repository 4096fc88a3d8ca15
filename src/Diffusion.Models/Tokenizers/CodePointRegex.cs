using System.Globalization;
using System.Text.RegularExpressions;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// A regular expression that matches on Unicode code points, as the Oniguruma engine behind Hugging Face
/// <c>tokenizers</c> does, although .NET's engine works on UTF-16 code units.
/// </summary>
/// <remarks>
/// .NET sees an astral character (a surrogate pair, e.g. 𝔘 or 😀) as two characters of category
/// <c>Surrogate</c>, so <c>\p{L}</c> would not match a mathematical letter and <c>\p{N}</c> would not match
/// 𝟙. When the input contains surrogate pairs, each pair is replaced by one stand-in BMP character of the same
/// Unicode general category (so every category-based construct — <c>\p{..}</c>, <c>\P{..}</c>, <c>\s</c>,
/// <c>\w</c>, negated classes, <c>.</c> — classifies it exactly like the original code point), the regex runs on
/// that projection, and match boundaries are mapped back. Stand-ins are caseless characters outside ASCII and
/// Latin-1, so they do not collide with the literal text of tokenizer patterns.
/// </remarks>
internal sealed class CodePointRegex
{
    private static readonly char[] StandIns = BuildStandIns();

    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="pattern"/>.</summary>
    /// <param name="pattern">A regular expression in the common subset of Oniguruma and .NET syntax.</param>
    /// <exception cref="ArgumentException">The pattern is not valid .NET syntax.</exception>
    public CodePointRegex(string pattern)
    {
        Pattern = pattern;
        _regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    /// <summary>The source pattern.</summary>
    public string Pattern { get; }

    /// <summary>Appends every non-overlapping match of the pattern in <paramref name="text"/>, left to right.</summary>
    /// <param name="text">The text to search (UTF-16; surrogate pairs count as one character).</param>
    /// <param name="matches">Receives (start, end) UTF-16 offsets into <paramref name="text"/>.</param>
    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in _regex.EnumerateMatches(text)) matches.Add((m.Index, m.Index + m.Length));
            return;
        }

        var projected = new char[text.Length];
        var originalIndex = new int[text.Length + 1];
        int count = 0;
        for (int i = 0; i < text.Length; count++)
        {
            originalIndex[count] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(c, text[i + 1]);
                projected[count] = StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(codePoint)];
                i += 2;
            }
            else
            {
                projected[count] = c;
                i++;
            }
        }
        originalIndex[count] = text.Length;

        foreach (var m in _regex.EnumerateMatches(projected.AsSpan(0, count)))
            matches.Add((originalIndex[m.Index], originalIndex[m.Index + m.Length]));
    }

    /// <summary>Characters that case-fold to ASCII letters in some regex engines (Turkish i's, long s, Kelvin, Ångström).</summary>
    private static bool FoldsToAscii(char c) => c is '\u0130' or '\u0131' or '\u017F' or '\u212A' or '\u212B';

    private static char[] BuildStandIns()
    {
        var categories = Enum.GetValues<UnicodeCategory>();
        var standIns = new char[categories.Length];
        foreach (var category in categories)
        {
            char best = '\uFFFD';
            char fallback = '\0';
            for (int c = 0x100; c <= 0xFFFF; c++)
            {
                if (c is >= 0xD800 and <= 0xDFFF) continue;
                char ch = (char)c;
                if (CharUnicodeInfo.GetUnicodeCategory(ch) != category) continue;
                if (fallback == '\0') fallback = ch;
                if (char.ToUpperInvariant(ch) == ch && char.ToLowerInvariant(ch) == ch && !FoldsToAscii(ch))
                {
                    best = ch;
                    break;
                }
            }
            standIns[(int)category] = best != '\uFFFD' ? best : fallback != '\0' ? fallback : '\uFFFD';
        }
        return standIns;
    }
}
