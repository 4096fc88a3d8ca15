using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DiffusionSteering.Sae.Core.Formats;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>Checks that the hand-built pickles and archives the other TorchPickle tests use are well formed.</summary>
public sealed class TorchPickleBuilderTests
{
    [Fact]
    public void MinimalStateDict_BuiltByHand_Loads()
    {
        byte[] pickle = new PickleBuilder().Proto().EmptyDict()
            .Str("w").Tensor("FloatStorage", "0", numel: 2, offset: 0, size: [2], stride: [1]).SetItem()
            .Stop().ToArray();
        byte[] zip = TorchZip.Create(pickle, [("0", TorchZip.Floats(1f, -2f))]);

        var tensors = TorchPickleReader.ReadStateDict(new MemoryStream(zip));

        Assert.Equal(new float[] { 1f, -2f }, Assert.Single(tensors).Value.ToFloat32());
    }

    [Fact]
    public void Builder_Int_UsesTheShortestBinaryForm()
    {
        Assert.Equal(new byte[] { 0x4B, 7 }, new PickleBuilder().Int(7).ToArray());
        Assert.Equal(new byte[] { 0x4D, 0x00, 0x01 }, new PickleBuilder().Int(256).ToArray());
        Assert.Equal(new byte[] { 0x4A, 0xFF, 0xFF, 0xFF, 0xFF }, new PickleBuilder().Int(-1).ToArray());
        Assert.Equal(new byte[] { 0x8A, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01 }, new PickleBuilder().Int(1L << 32).ToArray());
    }
}

/// <summary>Writes pickle bytes opcode by opcode, the way Python's pickler does for protocol 2 (and 4 where asked).</summary>
internal sealed class PickleBuilder
{
    private readonly MemoryStream _bytes = new();

    public PickleBuilder Op(params byte[] bytes)
    {
        _bytes.Write(bytes);
        return this;
    }

    public PickleBuilder Proto(int protocol = 2) => Op(0x80, (byte)protocol);
    public PickleBuilder Stop() => Op((byte)'.');
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder None() => Op((byte)'N');
    public PickleBuilder True() => Op(0x88);
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyList() => Op((byte)']');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder Tuple1() => Op(0x85);
    public PickleBuilder Tuple2() => Op(0x86);
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Append() => Op((byte)'a');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder Build() => Op((byte)'b');
    public PickleBuilder BinPersId() => Op((byte)'Q');
    public PickleBuilder StackGlobal() => Op(0x93);
    public PickleBuilder Memoize() => Op(0x94);
    public PickleBuilder BinPut(byte index) => Op((byte)'q', index);
    public PickleBuilder BinGet(byte index) => Op((byte)'h', index);

    public PickleBuilder Str(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var header = new byte[5];
        header[0] = (byte)'X';
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(1), utf8.Length);
        return Op(header).Op(utf8);
    }

    public PickleBuilder ShortStr(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        return Op(0x8C, (byte)utf8.Length).Op(utf8);
    }

    public PickleBuilder Int(long value)
    {
        if (value is >= 0 and < 256) return Op((byte)'K', (byte)value);
        if (value is >= 0 and < 65536) return Op((byte)'M', (byte)value, (byte)(value >> 8));
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            var bytes = new byte[5];
            bytes[0] = (byte)'J';
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), (int)value);
            return Op(bytes);
        }
        byte[] body = new System.Numerics.BigInteger(value).ToByteArray();
        return Op(0x8A, (byte)body.Length).Op(body);
    }

    public PickleBuilder IntTuple(params long[] values)
    {
        if (values.Length == 0) return EmptyTuple();
        Mark();
        foreach (long v in values) Int(v);
        return Tuple();
    }

    public PickleBuilder Global(string module, string name) =>
        Op((byte)'c').Op(Encoding.UTF8.GetBytes(module + "\n" + name + "\n"));

    /// <summary>An empty <c>collections.OrderedDict()</c>, as torch writes backward_hooks.</summary>
    public PickleBuilder OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>The persistent id <c>('storage', torch.&lt;storageType&gt;, key, 'cpu', numel)</c> and BINPERSID.</summary>
    public PickleBuilder Storage(string storageType, string key, long numel, string module = "torch") =>
        Mark().Str("storage").Global(module, storageType).Str(key).Str("cpu").Int(numel).Tuple().BinPersId();

    /// <summary><c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c>.</summary>
    public PickleBuilder Tensor(string storageType, string key, long numel, long offset, long[] size, long[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2")
            .Mark().Storage(storageType, key, numel).Int(offset).IntTuple(size).IntTuple(stride).False().OrderedDict()
            .Tuple().Reduce();

    public byte[] ToArray() => _bytes.ToArray();
}

/// <summary>Builds torch-style zip archives in memory.</summary>
internal static class TorchZip
{
    /// <summary>An archive <c>&lt;folder&gt;/data.pkl</c>, <c>&lt;folder&gt;/data/&lt;key&gt;</c>, <c>&lt;folder&gt;/version</c>
    /// and, when given, <c>&lt;folder&gt;/byteorder</c> and <c>&lt;folder&gt;/.data/serialization_id</c> (torch ≥ 2.1).</summary>
    public static byte[] Create(byte[] pickle, IEnumerable<(string Key, byte[] Data)> storages, string folder = "archive",
        string? byteOrder = null)
    {
        var entries = new List<(string, byte[])> { (folder + "/data.pkl", pickle) };
        if (byteOrder is not null)
        {
            entries.Add((folder + "/byteorder", Encoding.ASCII.GetBytes(byteOrder)));
        }
        entries.AddRange(storages.Select(s => (folder + "/data/" + s.Key, s.Data)));
        entries.Add((folder + "/version", "3\n"u8.ToArray()));
        if (byteOrder is not null)
        {
            entries.Add((folder + "/.data/serialization_id", "1234567890123456789012345678901234567890"u8.ToArray()));
        }
        return CreateRaw(entries);
    }

    /// <summary>An archive with exactly <paramref name="entries"/>, stored uncompressed like torch does.</summary>
    public static byte[] CreateRaw(IEnumerable<(string Name, byte[] Data)> entries)
    {
        var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using Stream stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(data);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A single-tensor state dict <c>{name: tensor}</c> in an archive.</summary>
    public static byte[] SingleTensor(string name, string storageType, long numel, long offset, long[] size, long[] stride,
        byte[] storage) =>
        Create(
            new PickleBuilder().Proto().EmptyDict().Str(name).Tensor(storageType, "0", numel, offset, size, stride)
                .SetItem().Stop().ToArray(),
            [("0", storage)]);

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static byte[] Halves(params float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        return bytes;
    }

    public static byte[] Longs(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }
}
