using System.Globalization;
using System.Text;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// Lays out tensors the way the Rust crate's <c>serialize</c> does and renders the header bytes exactly as its
/// serde_json output: compact JSON, <c>__metadata__</c> first, then one entry per tensor in data order with fields
/// <c>dtype</c>, <c>shape</c>, <c>data_offsets</c>, padded with spaces to a multiple of 8 bytes.
/// </summary>
/// <remarks>
/// Written by hand rather than with <c>Utf8JsonWriter</c> because serde_json escapes only <c>"</c>, <c>\</c> and control
/// characters, while System.Text.Json's encoders also escape e.g. characters outside the BMP; matching serde keeps our
/// files byte-identical to Python's for any name.
/// </remarks>
internal static class SafetensorsHeaderBuilder
{
    /// <summary>
    /// The data order: dtype by descending rank of the Rust <c>Dtype</c> enum (which is ordered by alignment, so every
    /// tensor starts at a multiple of its element size), then name ascending by UTF-8 bytes.
    /// </summary>
    public static int CompareForLayout(SafetensorsDType leftType, string leftName, SafetensorsDType rightType, string rightName)
    {
        var byType = rightType.RustEnumRank().CompareTo(leftType.RustEnumRank());
        return byType != 0 ? byType : CompareUtf8(leftName, rightName);
    }

    /// <summary>Ordinal comparison by UTF-8 bytes (= by code point), as Rust compares <c>String</c>s.</summary>
    public static int CompareUtf8(string left, string right) =>
        Encoding.UTF8.GetBytes(left).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(right));

    /// <summary>Renders the padded header for tensors already in data order.</summary>
    /// <param name="entries">Name, dtype, shape and byte length of each tensor, in data order.</param>
    /// <param name="metadata">The <c>__metadata__</c> map; omitted when empty, keys sorted by UTF-8 bytes.</param>
    public static byte[] Build(
        IReadOnlyList<(string Name, SafetensorsDType DType, long[] Shape, long ByteLength)> entries,
        IReadOnlyDictionary<string, string> metadata)
    {
        var json = new StringBuilder("{");
        var first = true;
        if (metadata.Count > 0)
        {
            AppendString(json, SafetensorsHeaderParser.MetadataKey).Append(":{");
            var firstKey = true;
            foreach (var key in metadata.Keys.Order(Comparer<string>.Create(CompareUtf8)))
            {
                if (!firstKey) json.Append(',');
                firstKey = false;
                AppendString(json, key).Append(':');
                AppendString(json, metadata[key]);
            }
            json.Append('}');
            first = false;
        }

        long offset = 0;
        foreach (var (name, dtype, shape, byteLength) in entries)
        {
            if (!first) json.Append(',');
            first = false;
            AppendString(json, name).Append(":{\"dtype\":");
            AppendString(json, dtype.ToHeaderName()).Append(",\"shape\":[");
            for (var i = 0; i < shape.Length; i++)
            {
                if (i > 0) json.Append(',');
                json.Append(shape[i].ToString(CultureInfo.InvariantCulture));
            }
            json.Append("],\"data_offsets\":[")
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append((offset + byteLength).ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset += byteLength;
        }
        json.Append('}');

        var length = Encoding.UTF8.GetByteCount(json.ToString());
        var header = new byte[(length + 7) / 8 * 8];
        Encoding.UTF8.GetBytes(json.ToString(), header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    /// <summary>Appends a JSON string literal with serde_json's escaping.</summary>
    private static StringBuilder AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }
}
