using System.Buffers.Binary;
using System.Text;
using DiffusionSteering.Torch.Safetensors;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Writer layout (as the Rust crate / Python save_file lays files out), validation and atomic saving.</summary>
public sealed class WriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ProducesTheBytesPythonSaveFileProduces()
    {
        // safetensors.torch.save_file({"b": float32[2], "a": int64[1]}, path, metadata={"format": "pt"}):
        // I64 sorts before F32 (larger alignment first), compact JSON, space padding to 8 bytes.
        var bytes = new SafetensorsWriter()
            .SetMetadata("format", "pt")
            .Add("b", [2], new[] { 1f, 2f })
            .Add("a", [1], new[] { 7L })
            .ToArray();
        var json = "{\"__metadata__\":{\"format\":\"pt\"}," +
                   "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
                   "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        var padded = json + new string(' ', (8 - json.Length % 8) % 8);
        byte[] expected =
        [
            .. BitConverter.GetBytes((ulong)padded.Length), .. Encoding.UTF8.GetBytes(padded),
            .. BitConverter.GetBytes(7L), .. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f),
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void OrdersByAlignmentThenNameAndPadsTheHeader()
    {
        var writer = new SafetensorsWriter()
            .Add("z_bool", [3], new[] { true, false, true })
            .Add("a_u8", [1], new byte[] { 9 })
            .Add("m_bf16", SafetensorsDType.BF16, [1], new byte[] { 0x80, 0x3F })
            .Add("b_f32", [1], new[] { 1f })
            .Add("a_f32", [1], new[] { 2f })
            .Add("y_f64", [1], new[] { 3.0 })
            .Add("x_i64", [1], new[] { 4L })
            .Add("w_u64", [1], new[] { 5UL });
        var bytes = writer.ToArray();
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        var json = header.TrimEnd(' ');
        Assert.True(json.EndsWith('}'));
        Assert.True(n - json.Length < 8, "padding is shorter than 8 bytes");

        var path = _dir.File("order.safetensors");
        File.WriteAllBytes(path, bytes);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["w_u64", "x_i64", "y_f64", "a_f32", "b_f32", "m_bf16", "a_u8", "z_bool"], file.TensorNames);
        foreach (var info in file.Tensors.Values)
        {
            Assert.Equal(0, info.DataOffset % info.DType.ElementSize());
            Assert.Equal(0, info.FileOffset % info.DType.ElementSize());
        }
    }

    [Fact]
    public void EmptyWriterWritesAValidEmptyFile()
    {
        var bytes = new SafetensorsWriter().ToArray();
        Assert.Equal([.. BitConverter.GetBytes(8UL), .. "{}      "u8.ToArray()], bytes);
    }

    [Fact]
    public void CallbackDataIsWrittenAndChecked()
    {
        var path = _dir.File("cb.safetensors");
        new SafetensorsWriter()
            .Add("cb", SafetensorsDType.I16, [2], s => { s.WriteByte(1); s.Write([0, 2, 0]); })
            .Save(path);
        using (var file = SafetensorsFile.Open(path)) Assert.Equal([(short)1, (short)2], file.Read<short>("cb"));

        var tooFew = new SafetensorsWriter().Add("cb", SafetensorsDType.I16, [2], s => s.WriteByte(1));
        Assert.Contains("'cb'", Assert.Throws<InvalidOperationException>(() => tooFew.Save(_dir.File("few.safetensors"))).Message);
        var tooMany = new SafetensorsWriter().Add("cb", SafetensorsDType.I16, [1], s => s.Write([1, 2, 3]));
        Assert.Contains("'cb'", Assert.Throws<InvalidOperationException>(() => tooMany.Save(_dir.File("many.safetensors"))).Message);
        Assert.Equal(["cb.safetensors"], _dir.FileNames());
    }

    [Fact]
    public void AddRejectsBadInput()
    {
        var writer = new SafetensorsWriter().Add("w", [1], new[] { 1f });
        Assert.Throws<ArgumentException>(() => writer.Add("w", [1], new[] { 1f }));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1], new[] { 1f }));
        Assert.Throws<ArgumentException>(() => writer.Add("x", [2], new[] { 1f }));
        Assert.Throws<ArgumentException>(() => writer.Add("x", SafetensorsDType.F32, [2], new byte[7]));
        Assert.Throws<ArgumentException>(() => writer.Add("x", SafetensorsDType.F32, [-1], new byte[0]));
        Assert.Throws<ArgumentException>(() => writer.Add("x", SafetensorsDType.F32, [long.MaxValue, 2], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.Add("bad\uD800", [1], new[] { 1f }));
        Assert.Throws<ArgumentException>(() => writer.Add("x", [1], new[] { 1m }));
        Assert.Throws<ArgumentNullException>(() => writer.Add(null!, [1], new[] { 1f }));
        Assert.Equal(1, writer.Count);
    }

    [Fact]
    public void SaveLeavesOnlyTheTargetFile()
    {
        var path = _dir.File("model.safetensors");
        var writer = new SafetensorsWriter().Add("w", [4], new[] { 1f, 2f, 3f, 4f });
        writer.Save(path);
        writer.Save(path); // overwrite
        Assert.Equal(["model.safetensors"], _dir.FileNames());
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([1f, 2f, 3f, 4f], file.ReadFloat32("w"));
    }

    [Fact]
    public void FailedSaveLeavesNothingBehindAndKeepsTheOldFile()
    {
        var path = _dir.File("model.safetensors");
        new SafetensorsWriter().Add("old", [1], new[] { 1f }).Save(path);
        var before = File.ReadAllBytes(path);

        var failing = new SafetensorsWriter()
            .Add("a", SafetensorsDType.U8, [4], new byte[4])
            .Add("b", SafetensorsDType.U8, [1 << 20], s =>
            {
                s.Write(new byte[1 << 19]); // half written, then the producer fails
                throw new IOException("producer failed");
            });
        Assert.Equal("producer failed", Assert.Throws<IOException>(() => failing.Save(path)).Message);
        Assert.Equal(["model.safetensors"], _dir.FileNames());
        Assert.Equal(before, File.ReadAllBytes(path));

        var fresh = _dir.File("fresh.safetensors");
        Assert.Throws<IOException>(() => failing.Save(fresh));
        Assert.False(File.Exists(fresh));
        Assert.Equal(["model.safetensors"], _dir.FileNames());
    }

    [Fact]
    public void SaveIntoMissingFolderFailsWithoutLeftovers()
    {
        var path = Path.Combine(_dir.Path, "missing", "model.safetensors");
        Assert.ThrowsAny<IOException>(() => new SafetensorsWriter().Save(path));
        Assert.Empty(_dir.FileNames());
    }

    [Fact]
    public void EscapesLikeSerdeJson()
    {
        // serde_json (behind Python's save_file) escapes only '"', '\\' and control characters (lowercase \u00xx).
        var bytes = new SafetensorsWriter()
            .SetMetadata("k", "a\"b\\c\n\u0001<>&'+é😀\u2028")
            .ToArray();
        var header = Encoding.UTF8.GetString(bytes, 8, bytes.Length - 8).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"k\":\"a\\\"b\\\\c\\n\\u0001<>&'+é😀\u2028\"}}", header);
        var path = _dir.File("escape.safetensors");
        File.WriteAllBytes(path, bytes);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("a\"b\\c\n\u0001<>&'+é😀\u2028", file.Metadata["k"]);
    }

    [Fact]
    public void MetadataIsWrittenSortedAndReadBack()
    {
        var path = _dir.File("meta.safetensors");
        new SafetensorsWriter().SetMetadata("zeta", "1").SetMetadata("alpha", "ä \"quoted\" \\ \n").SetMetadata("zeta", "2").Save(path);
        var header = IndependentHeader.Load(path);
        Assert.Equal(["alpha", "zeta"], header.Metadata.Select(kv => kv.Key));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("ä \"quoted\" \\ \n", file.Metadata["alpha"]);
        Assert.Equal("2", file.Metadata["zeta"]);
    }
}
