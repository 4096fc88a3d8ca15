using System.Text.Json;

namespace DiffusionSteering.Diffusion.Models.Checkpoints;

/// <summary>
/// A model's <c>config.json</c>, read with validation: every typed getter names the file and key when a value is
/// missing or of the wrong type, and <see cref="RejectUnknownKeys"/> refuses keys outside a family's schema.
/// </summary>
public sealed class ModelConfig
{
    private readonly Dictionary<string, JsonElement> _values;

    private ModelConfig(string source, Dictionary<string, JsonElement> values)
    {
        Source = source;
        _values = values;
    }

    /// <summary>Where the config came from (file path, for messages).</summary>
    public string Source { get; }

    /// <summary>All keys present.</summary>
    public IReadOnlyCollection<string> Keys => _values.Keys;

    /// <summary>Reads <c>config.json</c> from a file.</summary>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"config file not found: {path}");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config JSON text (<paramref name="source"/> names it in messages).</summary>
    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{source}: not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException($"{source}: the top level must be a JSON object");
            var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!values.TryAdd(property.Name, property.Value.Clone()))
                    throw new CheckpointException($"{source}: key '{property.Name}' appears twice");
            }
            return new ModelConfig(source, values);
        }
    }

    /// <summary>True when the key is present (even if null).</summary>
    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>True when the key is absent or JSON null.</summary>
    public bool IsNullOrMissing(string key) => !_values.TryGetValue(key, out var v) || v.ValueKind == JsonValueKind.Null;

    private JsonElement Required(string key)
    {
        if (!_values.TryGetValue(key, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new CheckpointException($"{Source}: required key '{key}' is missing");
        return value;
    }

    private CheckpointException WrongType(string key, string expected, JsonElement value) =>
        new($"{Source}: key '{key}' must be {expected}, got {Describe(value)}");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    /// <summary>A required integer.</summary>
    public long GetInt(string key) => AsInt(key, Required(key));

    /// <summary>An optional integer (null when missing or null).</summary>
    public long? GetOptionalInt(string key) => IsNullOrMissing(key) ? null : AsInt(key, _values[key]);

    /// <summary>A required positive integer that fits in int.</summary>
    public int GetPositiveInt(string key)
    {
        var v = GetInt(key);
        if (v <= 0 || v > int.MaxValue) throw new CheckpointException($"{Source}: key '{key}' must be a positive integer, got {v}");
        return (int)v;
    }

    private long AsInt(string key, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n)) return n;
        throw WrongType(key, "an integer", value);
    }

    /// <summary>A required number.</summary>
    public double GetDouble(string key) => AsDouble(key, Required(key));

    /// <summary>A number, or <paramref name="fallback"/> when missing or null.</summary>
    public double GetDouble(string key, double fallback) => IsNullOrMissing(key) ? fallback : AsDouble(key, _values[key]);

    /// <summary>A required positive number.</summary>
    public double GetPositiveDouble(string key)
    {
        var v = GetDouble(key);
        if (!(v > 0) || double.IsInfinity(v)) throw new CheckpointException($"{Source}: key '{key}' must be a positive number, got {v}");
        return v;
    }

    private double AsDouble(string key, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        throw WrongType(key, "a number", value);
    }

    /// <summary>A required boolean.</summary>
    public bool GetBool(string key) => AsBool(key, Required(key));

    /// <summary>A boolean, or <paramref name="fallback"/> when missing or null.</summary>
    public bool GetBool(string key, bool fallback) => IsNullOrMissing(key) ? fallback : AsBool(key, _values[key]);

    private bool AsBool(string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw WrongType(key, "true or false", value),
    };

    /// <summary>A required string.</summary>
    public string GetString(string key)
    {
        var value = Required(key);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(key, "a string", value);
    }

    /// <summary>A string, or null when missing or null.</summary>
    public string? GetOptionalString(string key)
    {
        if (IsNullOrMissing(key)) return null;
        var value = _values[key];
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(key, "a string", value);
    }

    /// <summary>A list of strings, or empty when missing.</summary>
    public IReadOnlyList<string> GetStringList(string key)
    {
        if (IsNullOrMissing(key)) return [];
        var value = _values[key];
        if (value.ValueKind != JsonValueKind.Array) throw WrongType(key, "a list of strings", value);
        return value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw WrongType(key, "a list of strings", value)).ToList();
    }

    /// <summary>Requires a key, when present, to hold a given value (for options this library does not implement).</summary>
    public void RequireValue(string key, bool expected, string why)
    {
        if (IsNullOrMissing(key)) return;
        if (GetBool(key) != expected) throw new CheckpointException($"{Source}: '{key}' = {!expected} is not supported ({why})");
    }

    /// <summary>Requires a key, when present, to be null (for options this library does not implement).</summary>
    public void RequireNull(string key, string why)
    {
        if (!IsNullOrMissing(key)) throw new CheckpointException($"{Source}: '{key}' must be null ({why}), got {Describe(_values[key])}");
    }

    /// <summary>Throws when a key is not in <paramref name="knownKeys"/> (the family's schema plus <see cref="CommonKeys"/>).</summary>
    public void RejectUnknownKeys(IEnumerable<string> knownKeys)
    {
        var known = new HashSet<string>(knownKeys, StringComparer.Ordinal);
        known.UnionWith(CommonKeys);
        var unknown = _values.Keys.Where(k => !known.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new CheckpointException(
                $"{Source}: unknown config key(s) {string.Join(", ", unknown.Select(k => "'" + k + "'"))}; " +
                "they may change the model in ways this library does not implement (set DenoiserLoadOptions.AllowUnknownConfigKeys to load anyway)");
    }

    /// <summary>Keys of transformers' <c>PretrainedConfig</c> that every Hugging Face config may carry.</summary>
    public static IReadOnlyCollection<string> CommonKeys { get; } =
    [
        "_name_or_path", "architectures", "auto_map", "model_type", "torch_dtype", "transformers_version",
        "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id", "use_cache",
        "tie_word_embeddings", "return_dict", "output_hidden_states", "output_attentions", "torchscript",
        "is_encoder_decoder", "is_decoder", "add_cross_attention", "tie_encoder_decoder", "chunk_size_feed_forward",
        "id2label", "label2id", "problem_type", "tokenizer_class", "prefix", "task_specific_params",
        "_attn_implementation_autoset", "quantization_config", "initializer_range",
    ];
}
