using System.Globalization;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// A sentiment lexicon: token → valence (VADER's scale is −4 … +4). <see cref="Default"/> is the VADER lexicon
/// (7,503 entries) shipped inside this assembly; its source, version and Apache-2.0 licence are documented in
/// <c>Scorers/Resources/README.md</c> and available at run time as <see cref="LicenseText"/> and <see cref="NoticeText"/>.
/// </summary>
/// <remarks>
/// Look-up tries the token exactly as written first (emoticons such as <c>:D</c> and <c>:d</c> differ), then its
/// lower-case form (invariant culture).
/// </remarks>
public sealed class VaderLexicon
{
    private const string ResourcePrefix = "DiffusionSteering.Steering.Eval.Scorers.Resources.";
    private static readonly Lazy<VaderLexicon> DefaultLazy = new(() => FromTsv(OpenResource("vader_lexicon.tsv"), "embedded vader_lexicon.tsv"));
    private readonly Dictionary<string, double> _valences;

    private VaderLexicon(Dictionary<string, double> valences) => _valences = valences;

    /// <summary>The VADER lexicon from the npm package <c>vader-sentiment</c> 1.1.3 (Apache-2.0), embedded in this assembly.</summary>
    public static VaderLexicon Default => DefaultLazy.Value;

    /// <summary>The Apache License 2.0 text under which the embedded lexicon is distributed.</summary>
    public static string LicenseText => ReadResource("vader-sentiment.LICENSE");

    /// <summary>The NOTICE file of the <c>vader-sentiment</c> package (attribution required by the licence).</summary>
    public static string NoticeText => ReadResource("vader-sentiment.NOTICE");

    /// <summary>Number of entries.</summary>
    public int Count => _valences.Count;

    /// <summary>The entries' tokens, as stored.</summary>
    public IEnumerable<string> Tokens => _valences.Keys;

    /// <summary>Valence of a token (exact form, then lower case); throws <see cref="KeyNotFoundException"/> when absent.</summary>
    /// <param name="token">The token.</param>
    public double this[string token] =>
        TryGetValence(token, out double v) ? v : throw new KeyNotFoundException($"'{token}' is not in the lexicon.");

    /// <summary>Whether the token (exact form, then lower case) has a valence.</summary>
    /// <param name="token">The token.</param>
    /// <param name="valence">Its valence, or 0.</param>
    public bool TryGetValence(string token, out double valence)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _valences.TryGetValue(token, out valence) || _valences.TryGetValue(token.ToLowerInvariant(), out valence);
    }

    /// <summary>Whether the token (exact form, then lower case) is in the lexicon.</summary>
    /// <param name="token">The token.</param>
    public bool Contains(string token) => TryGetValence(token, out _);

    /// <summary>Builds a lexicon from (token, valence) pairs; tokens must be non-empty, unique and without whitespace-only content, valences finite.</summary>
    /// <param name="entries">The entries.</param>
    public static VaderLexicon FromEntries(IEnumerable<KeyValuePair<string, double>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string token, double valence) in entries)
        {
            if (string.IsNullOrWhiteSpace(token))
            {
                throw new ArgumentException("Lexicon tokens must be non-empty.", nameof(entries));
            }

            if (!double.IsFinite(valence))
            {
                throw new ArgumentException($"Valence of '{token}' is {valence}; valences must be finite.", nameof(entries));
            }

            if (!map.TryAdd(token, valence))
            {
                throw new ArgumentException($"Token '{token}' appears more than once.", nameof(entries));
            }
        }

        if (map.Count == 0)
        {
            throw new ArgumentException("A lexicon needs at least one entry.", nameof(entries));
        }

        return new VaderLexicon(map);
    }

    /// <summary>Reads a TSV lexicon: one <c>token&lt;TAB&gt;valence</c> per line (invariant culture; further columns ignored; blank lines skipped).</summary>
    /// <param name="path">The file.</param>
    public static VaderLexicon FromTsvFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return FromTsv(reader, path);
    }

    /// <summary>Reads a TSV lexicon from a reader (see <see cref="FromTsvFile"/>).</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">Name used in error messages.</param>
    public static VaderLexicon FromTsv(TextReader reader, string source = "lexicon")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var entries = new List<KeyValuePair<string, double>>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            string[] fields = line.Split('\t');
            if (fields.Length < 2 || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double valence))
            {
                throw new FormatException($"{source}, line {lineNumber}: expected 'token<TAB>valence', got '{line}'.");
            }

            entries.Add(new KeyValuePair<string, double>(fields[0], valence));
        }

        return FromEntries(entries);
    }

    private static StreamReader OpenResource(string name)
    {
        Stream stream = typeof(VaderLexicon).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"Embedded resource {ResourcePrefix + name} is missing from {typeof(VaderLexicon).Assembly.GetName().Name}.");
        return new StreamReader(stream);
    }

    private static string ReadResource(string name)
    {
        using StreamReader reader = OpenResource(name);
        return reader.ReadToEnd();
    }
}
