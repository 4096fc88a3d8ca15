using System.Buffers.Binary;
using System.Text.Json;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>
/// A deliberately naive header reader (File + JsonDocument, no validation) used to cross-check the reader under test.
/// </summary>
internal sealed record IndependentHeader(
    long HeaderLength,
    IReadOnlyList<IndependentHeader.Entry> Entries,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    byte[] FileBytes)
{
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    public static IndependentHeader Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var entries = new List<Entry>();
        var metadata = new List<KeyValuePair<string, string>>();
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject()) metadata.Add(new(m.Name, m.Value.GetString()!));
                continue;
            }
            var v = property.Value;
            var offsets = v.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            entries.Add(new Entry(
                property.Name,
                v.GetProperty("dtype").GetString()!,
                v.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                offsets[0],
                offsets[1]));
        }
        return new IndependentHeader(n, entries, metadata, bytes);
    }

    /// <summary>The raw data bytes of <paramref name="e"/>.</summary>
    public ReadOnlySpan<byte> Data(Entry e) => FileBytes.AsSpan((int)(8 + HeaderLength + e.Begin), (int)(e.End - e.Begin));
}
