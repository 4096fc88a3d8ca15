using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DiffusionSteering.Torch.Safetensors;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Write → read is bit-exact for every dtype; typed reads and float conversions are right.</summary>
public sealed class RoundTripTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<SafetensorsDType> AllDTypes()
    {
        var data = new TheoryData<SafetensorsDType>();
        foreach (var d in Enum.GetValues<SafetensorsDType>()) data.Add(d);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void EveryDTypeRoundTripsBitExact(SafetensorsDType dtype)
    {
        var random = new Random(1234 + (int)dtype);
        long[][] shapes = [[], [0], [3, 0, 2], [7], [2, 3, 5]];
        var writer = new SafetensorsWriter().SetMetadata("dtype", dtype.ToHeaderName());
        var payloads = new Dictionary<string, byte[]>();
        for (var i = 0; i < shapes.Length; i++)
        {
            var count = shapes[i].Aggregate(1L, (a, d) => a * d);
            var bytes = new byte[count * dtype.ElementSize()];
            random.NextBytes(bytes); // arbitrary bit patterns, NaN payloads included
            if (dtype == SafetensorsDType.BOOL) for (var j = 0; j < bytes.Length; j++) bytes[j] &= 1;
            payloads[$"t{i}"] = bytes;
            writer.Add($"t{i}", dtype, shapes[i], bytes);
        }
        var path = _dir.File($"{dtype}.safetensors");
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(dtype.ToHeaderName(), file.Metadata["dtype"]);
        for (var i = 0; i < shapes.Length; i++)
        {
            var info = file.GetInfo($"t{i}");
            Assert.Equal(dtype, info.DType);
            Assert.Equal(shapes[i], info.Shape);
            Assert.Equal(payloads[$"t{i}"], file.GetBytes($"t{i}").ToArray());
            AssertTypedReadMatches(file, info, payloads[$"t{i}"]);
        }
    }

    [Fact]
    public void GenericArraysRoundTrip()
    {
        var writer = new SafetensorsWriter()
            .Add("f", [2, 2], new[] { 1f, -2.5f, float.NaN, float.NegativeInfinity })
            .Add("d", [], new[] { Math.PI })
            .Add("l", [3], new[] { long.MinValue, 0L, long.MaxValue })
            .Add("i", [1, 2], new[] { -7, 7 })
            .Add("b", [3], new[] { true, false, true })
            .Add("h", [2], new[] { (Half)1.5f, Half.MaxValue })
            .Add("u16", [1], new ushort[] { 65535 })
            .Add("s8", [2], new sbyte[] { -128, 127 });
        using var file = SafetensorsFile.Open(Save(writer));
        Assert.Equal([1f, -2.5f, float.NaN, float.NegativeInfinity], file.ReadFloat32("f"));
        Assert.Equal([Math.PI], file.ReadFloat64("d"));
        Assert.Equal([long.MinValue, 0L, long.MaxValue], file.ReadInt64("l"));
        Assert.Equal([-7, 7], file.ReadInt32("i"));
        Assert.Equal([true, false, true], file.ReadBool("b"));
        Assert.Equal([(Half)1.5f, Half.MaxValue], file.Read<Half>("h"));
        Assert.Equal([(ushort)65535], file.Read<ushort>("u16"));
        Assert.Equal([(sbyte)-128, (sbyte)127], file.Read<sbyte>("s8"));
        Assert.Equal(SafetensorsDType.F16, file.GetInfo("h").DType);
        Assert.Equal([1.5f, 65504f], file.ReadAsFloat32("h"));
        Assert.Equal([(float)Math.PI], file.ReadAsFloat32("d"));
    }

    [Fact]
    public void TypedReadChecksTheDType()
    {
        using var file = SafetensorsFile.Open(Save(new SafetensorsWriter().Add("f", [1], new[] { 1f }).Add("l", [1], new[] { 1L })));
        var wrong = Assert.Throws<InvalidCastException>(() => file.ReadInt64("f"));
        Assert.Contains("'f'", wrong.Message);
        Assert.Contains("F32", wrong.Message);
        Assert.Contains("I64", wrong.Message);
        Assert.Throws<InvalidCastException>(() => file.Read<double>("f"));
        Assert.Throws<InvalidCastException>(() => file.ReadAsFloat32("l"));
        Assert.Throws<ArgumentException>(() => file.Read<decimal>("f"));
    }

    [Fact]
    public void Bf16AndF8AndF16ConvertToFloat()
    {
        ushort[] bf16 = [0x3F80, 0xC000, 0x7F80, 0xFF80, 0x0001, 0x8000, 0x4049];
        byte[] e4m3 = [0x38, 0xB8, 0x7E, 0x01, 0x08, 0x00, 0x80, 0x7F, 0xFF, 0x40];
        byte[] e5m2 = [0x3C, 0xBC, 0x7C, 0xFC, 0x7B, 0x01, 0x7E];
        ushort[] f16 = [0x3C00, 0x7BFF, 0x0001, 0xFC00];
        var writer = new SafetensorsWriter()
            .Add("bf16", SafetensorsDType.BF16, [bf16.Length], MemoryMarshal.AsBytes(bf16.AsSpan()).ToArray())
            .Add("e4m3", SafetensorsDType.F8_E4M3, [e4m3.Length], e4m3)
            .Add("e5m2", SafetensorsDType.F8_E5M2, [e5m2.Length], e5m2)
            .Add("f16", SafetensorsDType.F16, [f16.Length], MemoryMarshal.AsBytes(f16.AsSpan()).ToArray());
        using var file = SafetensorsFile.Open(Save(writer));

        Assert.Equal([1f, -2f, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x00010000), -0f, 3.140625f],
            file.ReadAsFloat32("bf16"));
        var e4 = file.ReadAsFloat32("e4m3");
        Assert.Equal([1f, -1f, 448f, MathF.Pow(2, -9), MathF.Pow(2, -6), 0f, -0f], e4[..7]);
        Assert.True(float.IsNaN(e4[7]) && float.IsNaN(e4[8]));
        Assert.Equal(2f, e4[9]);
        var e5 = file.ReadAsFloat32("e5m2");
        Assert.Equal([1f, -1f, float.PositiveInfinity, float.NegativeInfinity, 57344f, MathF.Pow(2, -16)], e5[..6]);
        Assert.True(float.IsNaN(e5[6]));
        Assert.Equal([1f, 65504f, MathF.Pow(2, -24), float.NegativeInfinity], file.ReadAsFloat32("f16"));
    }

    [Theory]
    [InlineData(0x3F808000u, (ushort)0x3F80)] // tie, round to even (down)
    [InlineData(0x3F818000u, (ushort)0x3F82)] // tie, round to even (up)
    [InlineData(0x3F808001u, (ushort)0x3F81)] // above the tie
    [InlineData(0x3F807FFFu, (ushort)0x3F80)] // below the tie
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float.MaxValue rounds to infinity
    [InlineData(0x80000000u, (ushort)0x8000)] // -0
    public void SingleToBFloat16RoundsToNearestEven(uint bits, ushort expected) =>
        Assert.Equal(expected, SafetensorsConversions.SingleToBFloat16Bits(BitConverter.UInt32BitsToSingle(bits)));

    [Fact]
    public void SingleToBFloat16KeepsNaN() =>
        Assert.True(float.IsNaN(SafetensorsConversions.BFloat16BitsToSingle(
            SafetensorsConversions.SingleToBFloat16Bits(BitConverter.UInt32BitsToSingle(0x7F800001)))));

    [Theory]
    [InlineData(SafetensorsDType.F64)]
    [InlineData(SafetensorsDType.F32)]
    [InlineData(SafetensorsDType.F16)]
    [InlineData(SafetensorsDType.BF16)]
    public void FromSingleThenToSingleRoundTripsRepresentableValues(SafetensorsDType dtype)
    {
        float[] values = [0f, -0f, 1f, -2f, 0.5f, 1024f, float.PositiveInfinity, float.NegativeInfinity];
        var bytes = new byte[values.Length * dtype.ElementSize()];
        SafetensorsConversions.FromSingle(values, dtype, bytes);
        var back = new float[values.Length];
        SafetensorsConversions.ToSingle(dtype, bytes, back);
        Assert.Equal(values, back);
    }

    [Fact]
    public void DTypeNamesAndSizes()
    {
        foreach (var dtype in Enum.GetValues<SafetensorsDType>())
        {
            Assert.True(SafetensorsDTypes.TryParse(dtype.ToHeaderName(), out var parsed));
            Assert.Equal(dtype, parsed);
        }
        Assert.Equal("BOOL", SafetensorsDType.BOOL.ToHeaderName());
        Assert.Equal("F8_E4M3", SafetensorsDType.F8_E4M3.ToHeaderName());
        Assert.Equal(2, SafetensorsDType.BF16.ElementSize());
        Assert.Equal(8, SafetensorsDType.U64.ElementSize());
        Assert.Equal(1, SafetensorsDType.BOOL.ElementSize());
        Assert.False(SafetensorsDTypes.TryParse("bool", out _));
        Assert.False(SafetensorsDTypes.TryParse(null, out _));
    }

    private string Save(SafetensorsWriter writer)
    {
        var path = _dir.File(Guid.NewGuid().ToString("N") + ".safetensors");
        writer.Save(path);
        return path;
    }

    private static void AssertTypedReadMatches(SafetensorsFile file, SafetensorsTensorInfo info, byte[] bytes)
    {
        switch (info.DType)
        {
            case SafetensorsDType.F64: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.ReadFloat64(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.F32: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.ReadFloat32(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.F16: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.Read<Half>(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.I64: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.ReadInt64(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.I32: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.ReadInt32(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.I16: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.Read<short>(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.I8: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.Read<sbyte>(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.U8: Assert.Equal(bytes, file.Read<byte>(info.Name)); break;
            case SafetensorsDType.BOOL: Assert.Equal(bytes.Select(b => b != 0), file.ReadBool(info.Name)); break;
            case SafetensorsDType.U16: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.Read<ushort>(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.U32: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.Read<uint>(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.U64: Assert.Equal(bytes, MemoryMarshal.AsBytes(file.Read<ulong>(info.Name).AsSpan()).ToArray()); break;
            case SafetensorsDType.BF16:
                var widened = file.ReadAsFloat32(info.Name);
                for (var i = 0; i < widened.Length; i++)
                    Assert.Equal((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16, BitConverter.SingleToUInt32Bits(widened[i]));
                break;
            case SafetensorsDType.F8_E4M3:
            case SafetensorsDType.F8_E5M2:
                Assert.Equal(info.ElementCount, file.ReadAsFloat32(info.Name).Length);
                break;
        }
    }
}
