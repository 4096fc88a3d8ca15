using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// The index of a sharded checkpoint (Hugging Face schema, e.g. <c>model.safetensors.index.json</c>):
/// <c>{"metadata": {"total_size": n, ...}, "weight_map": {tensor: shard file}}</c>.
/// </summary>
/// <remarks>
/// Validated on load (<see cref="SafetensorsRule.InvalidIndex"/>): UTF-8 JSON object; <c>weight_map</c> present and an
/// object of strings; no duplicate keys; shard names relative to the index folder without <c>..</c> segments.
/// <c>metadata</c> is optional and free-form; <c>total_size</c> is exposed but not checked (writers disagree on it).
/// </remarks>
public sealed class SafetensorsIndex
{
    /// <summary>The conventional index file name of a sharded transformers checkpoint.</summary>
    public const string DefaultFileName = "model.safetensors.index.json";

    private SafetensorsIndex(
        string filePath, IReadOnlyDictionary<string, string> weightMap, IReadOnlyDictionary<string, string> metadata,
        long? totalSize)
    {
        FilePath = filePath;
        Folder = Path.GetDirectoryName(filePath) ?? ".";
        WeightMap = weightMap;
        Metadata = metadata;
        TotalSize = totalSize;
        ShardFileNames = Array.AsReadOnly(weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>Full path of the index file.</summary>
    public string FilePath { get; }

    /// <summary>The folder the shard names are relative to.</summary>
    public string Folder { get; }

    /// <summary>Tensor name → shard file name, as written in the index.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>The <c>metadata</c> object: string values as they are, other values as their raw JSON text.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary><c>metadata.total_size</c> when present and an integer.</summary>
    public long? TotalSize { get; }

    /// <summary>The distinct shard file names, ordinally sorted.</summary>
    public IReadOnlyList<string> ShardFileNames { get; }

    /// <summary>The full path of shard <paramref name="shardFileName"/>.</summary>
    public string ResolveShardPath(string shardFileName) => Path.GetFullPath(Path.Combine(Folder, shardFileName));

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="SafetensorsFormatException">The index is malformed (<see cref="SafetensorsRule.InvalidIndex"/>).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        ReadOnlySpan<byte> json = File.ReadAllBytes(fullPath);
        if (json.StartsWith("\uFEFF"u8)) json = json[3..];
        if (!Utf8.IsValid(json)) throw Invalid(fullPath, null, "the file is not valid UTF-8.");

        try
        {
            var probe = new Utf8JsonReader(json);
            while (probe.Read())
            {
                if (probe.TokenType is JsonTokenType.PropertyName or JsonTokenType.String) probe.GetString();
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw Invalid(fullPath, null, $"the file is not valid JSON: {ex.Message}", ex);
        }

        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(fullPath, null, "the root JSON value is not an object.");

        Dictionary<string, string>? weightMap = null;
        IReadOnlyDictionary<string, string> metadata = ReadOnlyDictionary<string, string>.Empty;
        long? totalSize = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (!seen.Add(key)) throw Invalid(fullPath, null, $"the key '{key}' occurs more than once.");
            reader.Read();
            switch (key)
            {
                case "weight_map":
                    weightMap = ReadWeightMap(ref reader, fullPath);
                    break;
                case "metadata":
                    (metadata, totalSize) = ReadMetadata(ref reader, json, fullPath);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (weightMap is null) throw Invalid(fullPath, null, "the index has no 'weight_map' object.");
        return new SafetensorsIndex(fullPath, new ReadOnlyDictionary<string, string>(weightMap), metadata, totalSize);
    }

    private static Dictionary<string, string> ReadWeightMap(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(path, null, $"'weight_map' is a JSON {reader.TokenType}, not an object.");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var tensor = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw Invalid(path, tensor, $"its 'weight_map' value is a JSON {reader.TokenType}, not a shard file name.");
            var shard = reader.GetString()!;
            CheckShardName(path, tensor, shard);
            if (!map.TryAdd(tensor, shard))
                throw Invalid(path, tensor, "the tensor occurs more than once in 'weight_map'.");
        }
        return map;
    }

    private static void CheckShardName(string path, string tensor, string shard)
    {
        if (shard.Length == 0 || Path.IsPathRooted(shard) ||
            shard.Split('/', '\\').Any(segment => segment == ".."))
        {
            throw Invalid(path, tensor,
                $"shard name '{shard}' must be a file name relative to the index folder (no absolute path, no '..').");
        }
    }

    private static (IReadOnlyDictionary<string, string>, long?) ReadMetadata(
        ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string path)
    {
        if (reader.TokenType == JsonTokenType.Null) return (ReadOnlyDictionary<string, string>.Empty, null);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Invalid(path, null, $"'metadata' is a JSON {reader.TokenType}, not an object.");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        long? totalSize = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            string value;
            if (reader.TokenType == JsonTokenType.String)
            {
                value = reader.GetString()!;
            }
            else
            {
                if (key == "total_size" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var size))
                    totalSize = size;
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                value = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
            }
            if (!map.TryAdd(key, value)) throw Invalid(path, null, $"'metadata' has the key '{key}' more than once.");
        }
        return (new ReadOnlyDictionary<string, string>(map), totalSize);
    }

    private static SafetensorsFormatException Invalid(string path, string? tensor, string detail, Exception? inner = null) =>
        new(path, tensor, SafetensorsRule.InvalidIndex, detail, inner);
}
