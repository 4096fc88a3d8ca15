using System.Buffers;
using System.Globalization;
using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Finds added tokens in text the way Hugging Face's <c>AddedVocabulary</c> does: leftmost-longest,
/// non-overlapping matches, honouring <c>single_word</c>, <c>lstrip</c> and <c>rstrip</c>.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;

    /// <summary>Creates a matcher (entries with an empty pattern are ignored).</summary>
    /// <param name="tokens">
    /// The tokens to find, each with the text to look for (the token's content, or its normalized form for
    /// tokens matched after normalization).
    /// </param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Pattern.Length > 0)
            .GroupBy(t => t.Pattern[0])
            .ToDictionary(
                g => g.Key,
                g => g.OrderByDescending(t => t.Pattern.Length).ThenBy(t => t.Token.Id).ToArray());
        _firstChars = SearchValues.Create(_byFirstChar.Keys.Order().ToArray());
    }

    /// <summary>Whether there is nothing to match.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// Splits <paramref name="text"/> into added tokens and the text between them, appending to
    /// <paramref name="output"/>; text pieces have id -1. Empty pieces are not added.
    /// </summary>
    /// <param name="text">The text to split.</param>
    /// <param name="output">Receives (piece, token id or -1) in order.</param>
    public void Split(string text, List<(string Text, int TokenId)> output)
    {
        if (text.Length == 0) return;
        if (IsEmpty)
        {
            output.Add((text, -1));
            return;
        }

        int emitted = 0;
        int searchFrom = 0;
        while (searchFrom < text.Length)
        {
            int relative = text.AsSpan(searchFrom).IndexOfAny(_firstChars);
            if (relative < 0) break;
            int start = searchFrom + relative;
            var (token, length) = LongestAt(text, start);
            if (token is null)
            {
                searchFrom = start + 1;
                continue;
            }
            int stop = start + length;
            searchFrom = stop;

            if (token.SingleWord)
            {
                bool clearBefore = start == 0 || !EndsWithWordCharacter(text.AsSpan(0, start));
                bool clearAfter = stop == text.Length || !StartsWithWordCharacter(text.AsSpan(stop));
                if (!clearBefore || !clearAfter) continue;
            }
            if (start < emitted) continue;
            if (token.LStrip)
            {
                int newStart = start;
                while (newStart > 0 && char.IsWhiteSpace(text[newStart - 1])) newStart--;
                start = Math.Max(newStart, emitted);
            }
            if (token.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            }

            if (emitted < start) output.Add((text[emitted..start], -1));
            output.Add((text[start..stop], token.Id));
            emitted = stop;
        }
        if (emitted < text.Length) output.Add((emitted == 0 ? text : text[emitted..], -1));
    }

    private (AddedToken? Token, int Length) LongestAt(string text, int start)
    {
        if (!_byFirstChar.TryGetValue(text[start], out var candidates)) return (null, 0);
        var rest = text.AsSpan(start);
        foreach (var (pattern, token) in candidates)
        {
            if (rest.StartsWith(pattern, StringComparison.Ordinal)) return (token, pattern.Length);
        }
        return (null, 0);
    }

    private static bool EndsWithWordCharacter(ReadOnlySpan<char> text) =>
        Rune.DecodeLastFromUtf16(text, out var rune, out _) == OperationStatus.Done && IsWordCharacter(rune);

    private static bool StartsWithWordCharacter(ReadOnlySpan<char> text) =>
        Rune.DecodeFromUtf16(text, out var rune, out _) == OperationStatus.Done && IsWordCharacter(rune);

    /// <summary>The Unicode <c>\w</c> class of the Rust regex crate: alphabetic, marks, digits, connectors, joiners.</summary>
    private static bool IsWordCharacter(Rune rune)
    {
        if (rune.Value is 0x200C or 0x200D) return true;
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.ConnectorPunctuation:
                return true;
            default:
                return false;
        }
    }
}
