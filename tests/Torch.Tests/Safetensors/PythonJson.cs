using System.Text;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>
/// Python's <c>json.dump</c> writes the non-standard literals <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c>;
/// this replaces them (outside strings) with <c>null</c> so System.Text.Json can parse the fixture summaries.
/// </summary>
internal static class PythonJson
{
    public static string Sanitize(string json)
    {
        var result = new StringBuilder(json.Length);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < json.Length) result.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"')
            {
                inString = true;
                result.Append(c);
                continue;
            }
            var literal = new[] { "-Infinity", "Infinity", "NaN" }
                .FirstOrDefault(l => string.CompareOrdinal(json, i, l, 0, l.Length) == 0);
            if (literal is null)
            {
                result.Append(c);
                continue;
            }
            result.Append("null");
            i += literal.Length - 1;
        }
        return result.ToString();
    }
}
