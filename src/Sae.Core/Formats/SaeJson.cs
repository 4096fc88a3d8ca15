using System.Text.Json;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>Typed, validating access to an SAE config JSON object (errors name the file and key).</summary>
internal sealed class SaeJson
{
    private readonly JsonElement _root;

    private SaeJson(JsonElement root, string source) { _root = root; Source = source; }

    public string Source { get; }

    public static SaeJson Load(string path)
    {
        if (!File.Exists(path)) throw new SaeFormatException($"SAE config not found: {path}");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new SaeFormatException($"{path}: the top level must be a JSON object");
            return new SaeJson(document.RootElement.Clone(), path);
        }
        catch (JsonException e)
        {
            throw new SaeFormatException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    public SaeJson? Object(string key)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) throw new SaeFormatException($"{Source}: '{key}' must be an object");
        return new SaeJson(v, $"{Source} [{key}]");
    }

    public IEnumerable<string> Keys => _root.EnumerateObject().Select(p => p.Name);

    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    public int Int(string key)
    {
        if (!_root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) throw new SaeFormatException($"{Source}: required key '{key}' is missing");
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)) return n;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        throw new SaeFormatException($"{Source}: key '{key}' must be an integer, got {v.GetRawText()}");
    }

    public int? OptionalInt(string key) => Has(key) ? Int(key) : null;

    public double? OptionalDouble(string key)
    {
        if (!Has(key)) return null;
        var v = _root.GetProperty(key);
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new SaeFormatException($"{Source}: key '{key}' must be a number, got {v.GetRawText()}");
    }

    public bool Bool(string key, bool fallback)
    {
        if (!Has(key)) return fallback;
        var v = _root.GetProperty(key);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new SaeFormatException($"{Source}: key '{key}' must be true or false, got {v.GetRawText()}"),
        };
    }

    public string? String(string key)
    {
        if (!Has(key)) return null;
        var v = _root.GetProperty(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new SaeFormatException($"{Source}: key '{key}' must be a string, got {v.GetRawText()}");
    }

    public void RejectUnknown(IEnumerable<string> known)
    {
        var set = new HashSet<string>(known, StringComparer.Ordinal);
        var unknown = Keys.Where(k => !set.Contains(k)).ToList();
        if (unknown.Count > 0) throw new SaeFormatException($"{Source}: unknown key(s) {string.Join(", ", unknown.Select(k => "'" + k + "'"))}");
    }
}
