using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// Parses and validates a safetensors header: the 8-byte little-endian length prefix and the JSON object after it.
/// Every violation becomes a <see cref="SafetensorsFormatException"/>.
/// </summary>
/// <remarks>
/// The JSON is read with <see cref="Utf8JsonReader"/> rather than a DOM or serializer so that duplicate keys, which
/// <c>System.Text.Json</c> (and serde's map deserialisation) would silently collapse, are detected. Unknown fields
/// inside a tensor entry are ignored, as the Rust crate ignores them.
/// </remarks>
internal static class SafetensorsHeaderParser
{
    /// <summary>Size of the header-length prefix.</summary>
    public const int PrefixBytes = 8;

    /// <summary>The reserved key of the free-form string map.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 64,
    };

    /// <summary>Validates the length prefix against the file length and returns the header length.</summary>
    /// <param name="prefix">The first bytes of the file (at least 8 when <paramref name="fileLength"/> ≥ 8).</param>
    /// <param name="fileLength">The total file length.</param>
    /// <param name="filePath">For error messages.</param>
    /// <param name="options">The header-size limit.</param>
    public static long ReadHeaderLength(
        ReadOnlySpan<byte> prefix, long fileLength, string filePath, SafetensorsReadOptions options)
    {
        if (fileLength < PrefixBytes)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.FileTooShort,
                $"the file has {fileLength} bytes; a safetensors file starts with an 8-byte header length.");
        }
        var n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        var limit = Math.Clamp(options.MaxHeaderBytes, 0, int.MaxValue - PrefixBytes);
        if (n > (ulong)limit)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderTooLarge,
                $"the header length prefix says {n} bytes, more than the limit of {limit} bytes " +
                "(a corrupt file, or not a safetensors file).");
        }
        if (n > (ulong)(fileLength - PrefixBytes))
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderBeyondFile,
                $"the header length prefix says {n} bytes, but only {fileLength - PrefixBytes} bytes follow the prefix " +
                "(truncated file?).");
        }
        return (long)n;
    }

    /// <summary>Parses and validates the JSON header.</summary>
    /// <param name="json">The header bytes (exactly the prefix's length; trailing space padding allowed).</param>
    /// <param name="dataLength">Length of the data section (file length − 8 − header length).</param>
    /// <param name="filePath">Full path, recorded in every <see cref="SafetensorsTensorInfo"/> and error.</param>
    /// <param name="options">Coverage rule.</param>
    public static SafetensorsHeader Parse(
        ReadOnlySpan<byte> json, long dataLength, string filePath, SafetensorsReadOptions options)
    {
        CheckUtf8(json, filePath);
        CheckJsonSyntax(json, filePath);

        var reader = new Utf8JsonReader(json, ReaderOptions);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderNotObject,
                $"the header's root JSON value is {Describe(reader.TokenType)}, not an object.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<RawEntry>();
        IReadOnlyDictionary<string, string> metadata = ReadOnlyDictionary<string, string>.Empty;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (!seen.Add(key))
            {
                throw new SafetensorsFormatException(filePath, key == MetadataKey ? null : key,
                    SafetensorsRule.DuplicateName,
                    $"the header has the key '{key}' more than once (JSON parsers disagree on which one wins).");
            }
            reader.Read();
            if (key == MetadataKey) metadata = ReadMetadata(ref reader, filePath);
            else entries.Add(ReadEntry(ref reader, key, dataLength, filePath));
        }

        var tensors = CheckLayout(entries, dataLength, filePath, options, json.Length);
        return new SafetensorsHeader(tensors, metadata, PrefixBytes + json.Length, dataLength);
    }

    private static void CheckUtf8(ReadOnlySpan<byte> json, string filePath)
    {
        if (Utf8.IsValid(json)) return;
        var position = 0;
        while (position < json.Length &&
               System.Text.Rune.DecodeFromUtf8(json[position..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
        {
            position += consumed;
        }
        throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderNotUtf8,
            $"the header is not valid UTF-8 (first bad byte 0x{json[position]:X2} at header offset {position}).");
    }

    private static void CheckJsonSyntax(ReadOnlySpan<byte> json, string filePath)
    {
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            var tokens = 0;
            while (reader.Read())
            {
                tokens++;
                // Unescaping can fail (lone surrogates); surface that here as a syntax problem.
                if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String) reader.GetString();
            }
            if (tokens == 0)
            {
                throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderNotJson,
                    "the header is empty or only whitespace.");
            }
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderNotJson,
                $"the header is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.HeaderNotJson,
                $"the header holds a string that is not valid text: {ex.Message}", ex);
        }
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(ref Utf8JsonReader reader, string filePath)
    {
        if (reader.TokenType == JsonTokenType.Null) return ReadOnlyDictionary<string, string>.Empty;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.InvalidMetadata,
                $"'{MetadataKey}' is {Describe(reader.TokenType)}; it must be an object mapping strings to strings.");
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new SafetensorsFormatException(filePath, null, SafetensorsRule.InvalidMetadata,
                    $"'{MetadataKey}' entry '{key}' is {Describe(reader.TokenType)}; metadata values must be strings.");
            }
            if (!map.TryAdd(key, reader.GetString()!))
            {
                throw new SafetensorsFormatException(filePath, null, SafetensorsRule.InvalidMetadata,
                    $"'{MetadataKey}' has the key '{key}' more than once.");
            }
        }
        return new ReadOnlyDictionary<string, string>(map);
    }

    private static RawEntry ReadEntry(ref Utf8JsonReader reader, string name, long dataLength, string filePath)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.EntryNotObject,
                $"the entry is {Describe(reader.TokenType)}; expected an object with dtype, shape and data_offsets.");
        }

        string? dtypeText = null;
        long[]? shape = null;
        ulong[]? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            switch (field)
            {
                case "dtype":
                    if (dtypeText is not null) throw DuplicateField(filePath, name, field);
                    if (reader.TokenType != JsonTokenType.String) throw WrongType(filePath, name, field, "a string", reader.TokenType);
                    dtypeText = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw DuplicateField(filePath, name, field);
                    shape = ReadShape(ref reader, name, filePath);
                    break;
                case "data_offsets":
                    if (offsets is not null) throw DuplicateField(filePath, name, field);
                    offsets = ReadOffsets(ref reader, name, filePath);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        var missing = new List<string>(3);
        if (dtypeText is null) missing.Add("dtype");
        if (shape is null) missing.Add("shape");
        if (offsets is null) missing.Add("data_offsets");
        if (missing.Count > 0)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.MissingField,
                $"the entry lacks {string.Join(", ", missing.Select(m => "'" + m + "'"))}.");
        }
        if (!SafetensorsDTypes.TryParse(dtypeText, out var dtype))
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.UnknownDType,
                $"dtype '{dtypeText}' is not supported (supported: {string.Join(", ", SafetensorsDTypes.SupportedHeaderNames)}).");
        }

        var (begin, end) = (offsets![0], offsets[1]);
        var byteSize = ByteSize(dtype, shape!, name, filePath);
        if (begin > end)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.OffsetsReversed,
                $"data_offsets [{begin}, {end}] begin after they end.");
        }
        if (end > (ulong)dataLength)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.OffsetsOutOfBounds,
                $"data_offsets [{begin}, {end}] end beyond the data section, which has {dataLength} bytes.");
        }
        if (end - begin != byteSize)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.SizeMismatch,
                $"shape [{string.Join(", ", shape!)}] of {dtypeText} needs {byteSize} bytes, " +
                $"but data_offsets [{begin}, {end}] span {end - begin}.");
        }
        return new RawEntry(name, dtype, shape!, (long)begin, (long)end);
    }

    private static long[] ReadShape(ref Utf8JsonReader reader, string name, string filePath)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw WrongType(filePath, name, "shape", "an array of integers", reader.TokenType);
        var dims = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var index = dims.Count;
            if (reader.TokenType != JsonTokenType.Number)
                throw WrongType(filePath, name, $"shape[{index}]", "an integer", reader.TokenType);
            if (reader.TryGetInt64(out var dim))
            {
                if (dim < 0)
                {
                    throw new SafetensorsFormatException(filePath, name, SafetensorsRule.NegativeDimension,
                        $"shape[{index}] is {dim}; dimensions must be ≥ 0.");
                }
                dims.Add(dim);
            }
            else if (reader.TryGetUInt64(out var huge))
            {
                throw new SafetensorsFormatException(filePath, name, SafetensorsRule.ShapeOverflow,
                    $"shape[{index}] is {huge}, larger than 2^63 - 1.");
            }
            else
            {
                var text = Encoding.UTF8.GetString(reader.ValueSpan);
                if (text.StartsWith('-') && !text.Contains('.') && !text.Contains('e') && !text.Contains('E'))
                {
                    throw new SafetensorsFormatException(filePath, name, SafetensorsRule.NegativeDimension,
                        $"shape[{index}] is {text}; dimensions must be ≥ 0.");
                }
                throw new SafetensorsFormatException(filePath, name, SafetensorsRule.InvalidFieldType,
                    $"shape[{index}] is {text}, not an integer.");
            }
        }
        return [.. dims];
    }

    private static ulong[] ReadOffsets(ref Utf8JsonReader reader, string name, string filePath)
    {
        const string Expected = "an array of two non-negative integers [begin, end]";
        if (reader.TokenType != JsonTokenType.StartArray)
            throw WrongType(filePath, name, "data_offsets", Expected, reader.TokenType);
        var values = new List<ulong>(2);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
                throw WrongType(filePath, name, $"data_offsets[{values.Count}]", "a non-negative integer", reader.TokenType);
            if (!reader.TryGetUInt64(out var value) || value > long.MaxValue)
            {
                throw new SafetensorsFormatException(filePath, name, SafetensorsRule.InvalidFieldType,
                    $"data_offsets[{values.Count}] is {Encoding.UTF8.GetString(reader.ValueSpan)}, " +
                    "not a non-negative integer below 2^63.");
            }
            values.Add(value);
        }
        if (values.Count != 2)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.InvalidFieldType,
                $"data_offsets has {values.Count} elements; expected {Expected}.");
        }
        return [.. values];
    }

    private static ulong ByteSize(SafetensorsDType dtype, long[] shape, string name, string filePath)
    {
        try
        {
            long count = 1;
            foreach (var d in shape) count = checked(count * d);
            return (ulong)checked(count * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(filePath, name, SafetensorsRule.ShapeOverflow,
                $"shape [{string.Join(", ", shape)}] of {dtype.ToHeaderName()} has more bytes than fit in 63 bits.");
        }
    }

    private static List<SafetensorsTensorInfo> CheckLayout(
        List<RawEntry> entries, long dataLength, string filePath, SafetensorsReadOptions options, int headerLength)
    {
        entries.Sort(static (a, b) =>
        {
            var c = a.Begin.CompareTo(b.Begin);
            if (c == 0) c = a.End.CompareTo(b.End);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        long cursor = 0;
        string? cursorOwner = null;
        foreach (var e in entries)
        {
            if (e.End > e.Begin && e.Begin < cursor)
            {
                throw new SafetensorsFormatException(filePath, e.Name, SafetensorsRule.OverlappingTensors,
                    $"its bytes [{e.Begin}, {e.End}) overlap tensor '{cursorOwner}', which extends to {cursor}.");
            }
            if (options.RequireFullCoverage && e.Begin > cursor)
            {
                throw new SafetensorsFormatException(filePath, e.Name, SafetensorsRule.UncoveredData,
                    $"data bytes [{cursor}, {e.Begin}) before this tensor belong to no tensor " +
                    "(the format requires the tensors to tile the data section without gaps).");
            }
            if (e.End > cursor)
            {
                cursor = e.End;
                cursorOwner = e.Name;
            }
        }
        if (options.RequireFullCoverage && cursor != dataLength)
        {
            throw new SafetensorsFormatException(filePath, null, SafetensorsRule.UncoveredData,
                $"the tensors cover the data section only up to byte {cursor}, but it has {dataLength} bytes " +
                $"({dataLength - cursor} trailing bytes belong to no tensor).");
        }

        var dataSectionOffset = (long)PrefixBytes + headerLength;
        return entries.ConvertAll(e =>
            new SafetensorsTensorInfo(e.Name, e.DType, e.Shape, e.Begin, e.End - e.Begin, dataSectionOffset, filePath));
    }

    private static SafetensorsFormatException DuplicateField(string filePath, string name, string field) =>
        new(filePath, name, SafetensorsRule.DuplicateField, $"the entry has the field '{field}' more than once.");

    private static SafetensorsFormatException WrongType(
        string filePath, string name, string field, string expected, JsonTokenType actual) =>
        new(filePath, name, SafetensorsRule.InvalidFieldType, $"'{field}' is {Describe(actual)}; expected {expected}.");

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private readonly record struct RawEntry(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End);
}
