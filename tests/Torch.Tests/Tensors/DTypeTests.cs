using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class DTypeTests
{
    private static void RoundTrip<T>(T[] values, ScalarType expected) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        var t = tensor(values, [2, values.Length / 2]);
        Assert.Equal(expected, t.dtype);
        Assert.Equal(new long[] { 2, values.Length / 2 }, t.shape);
        Assert.Equal(values, t.data<T>());
        Assert.Equal(values[0], t[0, 0].item<T>());
        Assert.Equal(values[^1], t[1, -1].item<T>());
        // Non-contiguous read: the transpose comes back in its own row-major order.
        var cols = values.Length / 2;
        var transposed = t.t().data<T>();
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < cols; j++)
                Assert.Equal(values[i * cols + j], transposed[j * 2 + i]);
        var span = new T[values.Length];
        t.CopyTo<T>(span);
        Assert.Equal(values, span);
    }

    [Fact]
    public void EveryElementTypeRoundTripsThroughData()
    {
        RoundTrip(new[] { 1.5f, -2.25f, float.MaxValue, float.Epsilon, 0f, -0f }, ScalarType.Float32);
        RoundTrip(new[] { Math.PI, -1e300, double.Epsilon, 0.1 }, ScalarType.Float64);
        RoundTrip(new[] { long.MinValue, -1L, 0L, long.MaxValue }, ScalarType.Int64);
        RoundTrip(new[] { int.MinValue, -7, 0, int.MaxValue }, ScalarType.Int32);
        RoundTrip(new short[] { short.MinValue, -7, 0, short.MaxValue }, ScalarType.Int16);
        RoundTrip(new sbyte[] { -128, -1, 0, 127 }, ScalarType.Int8);
        RoundTrip(new byte[] { 0, 1, 128, 255 }, ScalarType.Byte);
        RoundTrip(new[] { true, false, false, true }, ScalarType.Bool);
        RoundTrip(new[] { (Half)1.5, (Half)(-65504), Half.Epsilon, (Half)0.1 }, ScalarType.Float16);
        RoundTrip(new[] { BFloat16.FromSingle(1.5f), BFloat16.FromSingle(-3e38f), new BFloat16(1), BFloat16.FromSingle(0.1f) }, ScalarType.BFloat16);
    }

    [Fact]
    public void DtypeConstantsMatchScalarTypes()
    {
        Assert.Equal(ScalarType.Float32, float32);
        Assert.Equal(ScalarType.Float64, float64);
        Assert.Equal(ScalarType.BFloat16, bfloat16);
        Assert.Equal(ScalarType.Float16, float16);
        Assert.Equal(ScalarType.Int64, int64);
        Assert.Equal(ScalarType.Int32, int32);
        Assert.Equal(ScalarType.Int8, int8);
        Assert.Equal(ScalarType.Byte, uint8);
        Assert.Equal(ScalarType.Bool, @bool);
        foreach (var dt in new[] { float32, float64, bfloat16, float16, int64, int32, int8, uint8, @bool })
        {
            using var z = zeros([3], dt);
            Assert.Equal(dt, z.dtype);
            Assert.Equal(3, z.numel());
        }
    }

    private static float[] ConversionInputs()
    {
        var values = Rng.Floats(11, 200, -100, 100).ToList();
        values.AddRange([0f, -0f, 1f, -1f, 0.5f, -0.5f, 99.99f, 1e-3f, 1e-8f, 65504f, 65520f, 70000f]);
        // bfloat16 ties (low 16 bits exactly 0x8000): round to even.
        values.Add(BitConverter.UInt32BitsToSingle(0x3F808000)); // upper half even: stays
        values.Add(BitConverter.UInt32BitsToSingle(0x3F818000)); // upper half odd: rounds up
        values.Add(BitConverter.UInt32BitsToSingle(0x3F808001)); // just above a tie: rounds up
        values.Add(BitConverter.UInt32BitsToSingle(0xBF817FFF)); // just below a tie, negative: rounds down in magnitude
        values.Add(float.MaxValue);                               // overflows bfloat16 to +inf
        values.Add(float.PositiveInfinity);
        values.Add(float.NegativeInfinity);
        return values.ToArray();
    }

    [Fact]
    public void FloatToBFloat16RoundsLikeManagedBFloat16()
    {
        using var scope = NewDisposeScope();
        var x = ConversionInputs();
        var bf = tensor(x).to(bfloat16);
        Assert.Equal(bfloat16, bf.dtype);
        var bits = bf.data<BFloat16>();
        for (var i = 0; i < x.Length; i++)
            Assert.True(BFloat16.FromSingle(x[i]).Bits == bits[i].Bits, $"{x[i]:R}: managed {BFloat16.FromSingle(x[i]).Bits:X4}, libtorch {bits[i].Bits:X4}");
        // bfloat16 -> float32 is exact (the bits shifted up).
        var back = bf.to(float32).data<float>();
        for (var i = 0; i < x.Length; i++) Assert.Equal(bits[i].ToSingle(), back[i]);
        // Method form and NaN.
        var nan = tensor(new[] { float.NaN }).bfloat16();
        Assert.True(float.IsNaN(nan.data<BFloat16>()[0].ToSingle()));
        Assert.True(float.IsNaN((float)nan.item<BFloat16>()));
    }

    [Fact]
    public void FloatConversionsMatchManagedCasts()
    {
        using var scope = NewDisposeScope();
        var x = ConversionInputs().Where(float.IsFinite).ToArray();
        var t = tensor(x);
        Assert.Equal(x.Select(v => (double)v), t.to(float64).data<double>());
        Assert.Equal(x.Select(v => (double)v), t.@double().data<double>());
        Assert.Equal(x.Select(v => (Half)v), t.to(float16).data<Half>());
        Assert.Equal(x.Select(v => (Half)v), t.half().data<Half>());
        Assert.Equal(x.Select(v => v != 0), t.to(@bool).data<bool>());
        Assert.Equal(x.Select(v => v != 0), t.@bool().data<bool>());

        var small = x.Where(v => Math.Abs(v) < 127).ToArray();
        var ts = tensor(small);
        Assert.Equal(small.Select(v => (long)v), ts.to(int64).data<long>());   // truncation toward zero
        Assert.Equal(small.Select(v => (long)v), ts.@long().data<long>());
        Assert.Equal(small.Select(v => (int)v), ts.to(int32).data<int>());
        Assert.Equal(small.Select(v => (int)v), ts.@int().data<int>());
        Assert.Equal(small.Select(v => (sbyte)v), ts.to(int8).data<sbyte>());
        var positive = small.Select(Math.Abs).ToArray();
        Assert.Equal(positive.Select(v => (byte)v), tensor(positive).to(uint8).data<byte>());

        var d = Rng.Doubles(12, 100, -1e6, 1e6);
        Assert.Equal(d.Select(v => (float)v), tensor(d).to(float32).data<float>());
        Assert.Equal(d.Select(v => (float)v), tensor(d).@float().data<float>());
    }

    [Fact]
    public void IntegerAndBoolConversions()
    {
        using var scope = NewDisposeScope();
        var l = Rng.Longs(13, 100, -1_000_000, 1_000_000);
        var tl = tensor(l);
        Assert.Equal(l.Select(v => (float)v), tl.to(float32).data<float>());
        Assert.Equal(l.Select(v => (double)v), tl.to(float64).data<double>());
        Assert.Equal(l.Select(v => (int)v), tl.to(int32).data<int>());
        Assert.Equal(l.Select(v => BFloat16.FromSingle(v).Bits), tl.to(bfloat16).data<BFloat16>().Select(b => b.Bits));
        Assert.Equal(l.Select(v => v != 0), tl.to(@bool).data<bool>());

        var b = new[] { true, false, true, true };
        var tb = tensor(b);
        Assert.Equal(new[] { 1f, 0f, 1f, 1f }, tb.to(float32).data<float>());
        Assert.Equal(new[] { 1L, 0L, 1L, 1L }, tb.to(int64).data<long>());
        Assert.Equal(new byte[] { 1, 0, 1, 1 }, tb.to(uint8).data<byte>());

        var bytes = new byte[] { 0, 1, 200, 255 };
        Assert.Equal(new[] { 0, 1, 200, 255 }, tensor(bytes).to(int32).data<int>());
        var sb = new sbyte[] { -128, -1, 0, 127 };
        Assert.Equal(new[] { -128f, -1f, 0f, 127f }, tensor(sb).to(float32).data<float>());
    }

    [Fact]
    public void ToSameDtypeAliasesUnlessCopyIsAsked()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new[] { 1f, 2f, 3f });
        var same = t.to(float32);
        Assert.Equal(t.data_ptr(), same.data_ptr());
        var copy = t.to(float32, copy: true);
        Assert.NotEqual(t.data_ptr(), copy.data_ptr());
        Assert.Equal(t.data<float>(), copy.data<float>());
        var viaDevice = t.to(CPU, float64);
        Assert.Equal(float64, viaDevice.dtype);
        var like = tensor(new long[] { 1 }).to(viaDevice);
        Assert.Equal(float64, like.dtype);
        Assert.Equal(CPU, t.cpu().device);
        Assert.Equal(DeviceType.CPU, t.device_type);
    }

    [Fact]
    public void TypePromotionFollowsPyTorch()
    {
        using var scope = NewDisposeScope();
        var i = tensor(new long[] { 1, 2, 3 });
        var f = tensor(new[] { 0.5f, 1f, 2f });
        Assert.Equal(float32, (i + 0.5).dtype);
        Assert.Equal(int64, (i + 2).dtype);
        Assert.Equal(float32, (i / i).dtype);                       // true division
        Assert.Equal(new[] { 0.5f, 1f, 1.5f }, (i / 2).data<float>());
        Assert.Equal(float32, (i * f).dtype);
        Assert.Equal(float64, (f + tensor(new[] { 1.0 })).dtype);   // two dimensioned tensors: the wider type
        Assert.Equal(float32, (f + tensor(1.0)).dtype);               // a 0-d tensor of the same category does not widen
        Assert.Equal(float32, (tensor(new[] { 1f }).to(bfloat16) + f).dtype);
        Assert.Equal(ScalarType.Int16, (tensor(new byte[] { 1 }) + tensor(new sbyte[] { 1 })).dtype);
        Assert.Equal(bfloat16, (f.to(bfloat16) * 2.0).dtype);
    }
}
