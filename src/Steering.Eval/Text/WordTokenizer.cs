using System.Text.RegularExpressions;

namespace DiffusionSteering.Steering.Eval.Text;

/// <summary>Simple word tokenisers for text metrics when model token ids are not at hand.</summary>
public static partial class WordTokenizer
{
    /// <summary>Default word pattern: runs of letters, digits, underscores and apostrophes, or single other non-space characters (punctuation).</summary>
    public static Regex DefaultWordPattern { get; } = WordPattern();

    /// <summary>Splits on Unicode whitespace, dropping empty entries; case is preserved.</summary>
    /// <param name="text">Input text (not null).</param>
    public static string[] SplitWhitespace(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Returns every match of <paramref name="pattern"/> in order (by default <see cref="DefaultWordPattern"/>).</summary>
    /// <param name="text">Input text (not null).</param>
    /// <param name="pattern">Token pattern; <see cref="DefaultWordPattern"/> when null.</param>
    public static string[] SplitRegex(string text, Regex? pattern = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        MatchCollection matches = (pattern ?? DefaultWordPattern).Matches(text);
        var tokens = new string[matches.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = matches[i].Value;
        }

        return tokens;
    }

    /// <summary>Whitespace split when <paramref name="pattern"/> is null, otherwise <see cref="SplitRegex"/> with it.</summary>
    internal static string[] Split(string text, Regex? pattern) => pattern is null ? SplitWhitespace(text) : SplitRegex(text, pattern);

    [GeneratedRegex(@"[\w']+|[^\w\s]", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
