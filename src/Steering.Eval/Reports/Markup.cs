using System.Globalization;
using System.Text;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>Escaping and number formatting shared by the SVG, HTML and Markdown writers.</summary>
internal static class Markup
{
    /// <summary>
    /// Escapes text for XML/HTML content and attribute values (&amp; &lt; &gt; &quot; &#39;), and replaces characters that
    /// XML 1.0 forbids (control characters other than tab/newline/return, lone surrogates, U+FFFE/U+FFFF) with U+FFFD, so
    /// any token string yields a well-formed document.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var sb = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[i + 1]);
                        i++;
                    }
                    else if (char.IsSurrogate(c) || c == '\uFFFE' || c == '\uFFFF' || (c < ' ' && c != '\t' && c != '\n' && c != '\r'))
                        sb.Append('\uFFFD');
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A coordinate or length: invariant culture, at most two decimals, no exponent.</summary>
    public static string Num(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"Cannot write the non-finite coordinate {value}.");
        var rounded = Math.Round(value, 2);
        if (rounded == 0) rounded = 0; // no "-0"
        return rounded.ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>A value for display with a fixed number of decimals (invariant culture; NaN shown as "–").</summary>
    public static string Value(double value, int decimals)
    {
        if (double.IsNaN(value)) return "–";
        if (double.IsPositiveInfinity(value)) return "∞";
        if (double.IsNegativeInfinity(value)) return "−∞";
        var s = value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        return s.StartsWith('-') && s.Trim('-', '0', '.').Length == 0 ? s[1..] : s;
    }

    /// <summary>Checks that every value is finite, naming the series and index of the first that is not.</summary>
    public static void RequireFinite(IReadOnlyList<double> values, string what, string paramName)
    {
        for (var i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{what}: value at index {i} is {values[i]}; plotted values must be finite (no NaN or infinity).", paramName);
    }
}
