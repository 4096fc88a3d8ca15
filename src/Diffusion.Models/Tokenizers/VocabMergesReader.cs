using System.Text.Json;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Reads GPT-2 style <c>vocab.json</c> and <c>merges.txt</c> files.</summary>
internal static class VocabMergesReader
{
    /// <summary>Parses <c>vocab.json</c>: a JSON object mapping token strings to ids.</summary>
    /// <param name="utf8Json">The file content.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>Token to id.</returns>
    public static Dictionary<string, int> ReadVocab(byte[] utf8Json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json);
            JsonFields.RequireObject(document.RootElement, source);
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.EnumerateObject())
                vocab[entry.Name] = JsonFields.AsId(entry.Value, $"{source}['{entry.Name}']");
            return vocab;
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{source} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses the lines of <c>merges.txt</c>: lines starting with <c>#version</c> and blank lines are skipped;
    /// every other line must be exactly two tokens separated by one space.
    /// </summary>
    /// <param name="lines">The file's lines.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The merges in rank order.</returns>
    public static List<(string Left, string Right)> ReadMerges(IEnumerable<string> lines, string source)
    {
        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            if (line.StartsWith("#version", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(line)) continue;
            merges.Add(ParseMergeLine(line, $"{source} line {lineNumber}"));
        }
        return merges;
    }

    /// <summary>Splits a <c>"left right"</c> merge string.</summary>
    /// <param name="line">The merge string.</param>
    /// <param name="what">Where it comes from, for error messages.</param>
    /// <returns>The two tokens.</returns>
    public static (string Left, string Right) ParseMergeLine(string line, string what)
    {
        int space = line.IndexOf(' ');
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            throw new TokenizerFormatException($"{what}: merge '{line}' must be two tokens separated by a single space.");
        return (line[..space], line[(space + 1)..]);
    }
}
