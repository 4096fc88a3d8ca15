using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class ElementwiseTests
{
    /// <summary>A non-contiguous [4, 5] input (the transpose of a random [5, 4]) and its logical row-major values.</summary>
    private static (Tensor t, double[] x) NonContiguous(int seed, double lo, double hi, ScalarType dtype = ScalarType.Float32)
    {
        var raw = Rng.Doubles(seed, 20, lo, hi);
        if (dtype == ScalarType.Float32) raw = raw.Select(v => (double)(float)v).ToArray();
        var t = tensor(raw, [5, 4]).to(dtype).t();
        return (t, Naive.Transpose(raw, 5, 4));
    }

    private static void Unary(Func<Tensor, Tensor> op, Func<double, double> f, double lo, double hi, double tol = 2e-6, int seed = 1)
    {
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var (t, x) = NonContiguous(seed, lo, hi, dtype);
            var y = op(t);
            Assert.Equal(dtype, y.dtype);
            var expected = x.Select(f).ToArray();
            var eps = dtype == ScalarType.Float32 ? tol : 1e-12;
            TensorAssert.Close(expected, [4, 5], y, eps, eps, $"{dtype}");
        }
    }

    [Fact] public void Exp() => Unary(t => t.exp(), Math.Exp, -3, 3);
    [Fact] public void Log() => Unary(t => t.log(), Math.Log, 0.01, 10);
    [Fact] public void Sqrt() => Unary(t => t.sqrt(), Math.Sqrt, 0, 10);
    [Fact] public void Rsqrt() => Unary(t => t.rsqrt(), v => 1 / Math.Sqrt(v), 0.1, 10);
    [Fact] public void Abs() => Unary(t => t.abs(), Math.Abs, -5, 5);
    [Fact] public void Neg() => Unary(t => t.neg(), v => -v, -5, 5);
    [Fact] public void NegOperator() => Unary(t => -t, v => -v, -5, 5);
    [Fact] public void Sign() => Unary(t => t.sign(), v => Math.Sign(v), -5, 5);
    [Fact] public void Sin() => Unary(t => t.sin(), Math.Sin, -4, 4);
    [Fact] public void Cos() => Unary(t => t.cos(), Math.Cos, -4, 4);
    [Fact] public void Tanh() => Unary(t => t.tanh(), Math.Tanh, -4, 4);
    [Fact] public void Sigmoid() => Unary(t => t.sigmoid(), Naive.Sigmoid, -6, 6);
    [Fact] public void Relu() => Unary(t => t.relu(), v => Math.Max(v, 0), -3, 3);
    [Fact] public void GeluExact() => Unary(t => t.gelu(), Naive.GeluExact, -4, 4);
    [Fact] public void GeluTanh() => Unary(t => nn.functional.gelu(t, "tanh"), Naive.GeluTanh, -4, 4);
    [Fact] public void Silu() => Unary(t => nn.functional.silu(t), v => v * Naive.Sigmoid(v), -5, 5);
    [Fact] public void Erf() => Unary(t => t.erf(), Naive.Erf, -3, 3);
    [Fact] public void Log1pExpm1() { Unary(t => t.log1p(), v => Math.Log(1 + v), -0.5, 2); Unary(t => t.expm1(), v => Math.Exp(v) - 1, -1, 1); }
    [Fact] public void Rounding() { Unary(t => t.floor(), Math.Floor, -5, 5); Unary(t => t.ceil(), Math.Ceiling, -5, 5); Unary(t => (t * 2).round(), v => Math.Round(2 * v, MidpointRounding.ToEven), -5, 5); }
    [Fact] public void ReciprocalSquare() { Unary(t => t.reciprocal(), v => 1 / v, 0.5, 4); Unary(t => t.square(), v => v * v, -3, 3); }
    [Fact] public void ClampBoth() => Unary(t => t.clamp(-0.5, 0.25), v => Math.Min(Math.Max(v, -0.5), 0.25), -1, 1);
    [Fact] public void ClampOneSided() { Unary(t => t.clamp(min: 0.1), v => Math.Max(v, 0.1), -1, 1); Unary(t => t.clamp(max: 0.1), v => Math.Min(v, 0.1), -1, 1); }
    [Fact] public void ClampMinMax() { Unary(t => t.clamp_min(0.2), v => Math.Max(v, 0.2), -1, 1); Unary(t => t.clamp_max(-0.2), v => Math.Min(v, -0.2), -1, 1); }
    [Fact] public void PowScalar() { Unary(t => t.pow(2), v => v * v, -3, 3); Unary(t => t.pow(0.5), Math.Sqrt, 0, 4); Unary(t => t.pow(-1.5), v => Math.Pow(v, -1.5), 0.5, 4); }
    [Fact] public void InPlaceUnary() { Unary(t => t.clone().exp_(), Math.Exp, -2, 2); Unary(t => t.clone().relu_(), v => Math.Max(v, 0), -2, 2); Unary(t => t.clone().clamp_(0, 0.5), v => Math.Clamp(v, 0, 0.5), -1, 1); Unary(t => t.clone().neg_(), v => -v, -1, 1); Unary(t => t.clone().sqrt_(), Math.Sqrt, 0, 2); }

    [Fact]
    public void ClampWithTensorBounds()
    {
        using var scope = NewDisposeScope();
        var (t, x) = NonContiguous(2, -1, 1);
        var lo = Rng.Doubles(3, 5, -0.5, 0);
        var hi = Rng.Doubles(4, 4, 0, 0.5);
        var y = t.clamp(tensor(lo, [5]).to(float32), tensor(hi, [4, 1]).to(float32));
        var lof = lo.Select(v => (double)(float)v).ToArray();
        var hif = hi.Select(v => (double)(float)v).ToArray();
        var expected = x.Select((v, i) => Math.Min(Math.Max(v, lof[i % 5]), hif[i / 5])).ToArray();
        TensorAssert.Close(expected, [4, 5], y, 0, 0);
    }

    /// <summary>Operands of shapes [3, 1, 4] (a permuted view) and [2, 4] (a strided slice) broadcasting to [3, 2, 4].</summary>
    private static (Tensor a, double[] av, Tensor b, double[] bv) BroadcastPair(int seed, double lo, double hi)
    {
        var raw = Rng.Floats(seed, 12, lo, hi);
        var a = tensor(raw, [4, 1, 3]).permute(2, 1, 0);
        var av = Naive.Permute(Naive.ToDouble(raw), [4, 1, 3], [2, 1, 0], out _);
        var rawB = Rng.Floats(seed + 1, 16, lo, hi);
        var b = tensor(rawB, [2, 8])[.., TensorIndex.Slice(null, null, 2)];
        var bv = new double[8];
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 4; j++)
                bv[i * 4 + j] = rawB[i * 8 + 2 * j];
        return (a, av, b, bv);
    }

    private static void Binary(Func<Tensor, Tensor, Tensor> op, Func<double, double, double> f, double lo = -2, double hi = 2, double tol = 1e-6)
    {
        using var scope = NewDisposeScope();
        var (a, av, b, bv) = BroadcastPair(5, lo, hi);
        Assert.Equal(new long[] { 3, 1, 4 }, a.shape);
        Assert.Equal(new long[] { 2, 4 }, b.shape);
        var expected = Naive.Zip(av, [3, 1, 4], bv, [2, 4], f, out var shape);
        Assert.Equal(new long[] { 3, 2, 4 }, shape);
        TensorAssert.Close(expected, shape, op(a, b), tol, tol, "a∘b");
        var reversed = Naive.Zip(bv, [2, 4], av, [3, 1, 4], f, out _);
        TensorAssert.Close(reversed, shape, op(b, a), tol, tol, "b∘a");
    }

    [Fact] public void AddBroadcast() => Binary((a, b) => a + b, (x, y) => x + y);
    [Fact] public void SubBroadcast() => Binary((a, b) => a - b, (x, y) => x - y);
    [Fact] public void MulBroadcast() => Binary((a, b) => a * b, (x, y) => x * y);
    [Fact] public void DivBroadcast() => Binary((a, b) => a / b, (x, y) => x / y, 0.5, 3);
    [Fact] public void AddWithAlpha() => Binary((a, b) => a.add(b, 2.5), (x, y) => x + 2.5 * y);
    [Fact] public void SubWithAlpha() => Binary((a, b) => a.sub(b, 0.5), (x, y) => x - 0.5 * y);
    [Fact] public void PowTensor() => Binary((a, b) => a.pow(b), Math.Pow, 0.5, 2);
    [Fact] public void MaximumMinimum() { Binary((a, b) => a.maximum(b), Math.Max); Binary((a, b) => a.minimum(b), Math.Min); }

    [Fact]
    public void DivRoundingModes()
    {
        Binary((a, b) => a.div(b, "floor"), (x, y) => Math.Floor(x / y), -3, 3, 0);
        Binary((a, b) => a.div(b, "trunc"), (x, y) => Math.Truncate(x / y), -3, 3, 0);
        Binary((a, b) => a.div(b, null), (x, y) => x / y, 0.5, 3);
    }

    [Fact]
    public void ScalarOperandsOnBothSides()
    {
        using var scope = NewDisposeScope();
        var (t, x) = NonContiguous(6, 0.5, 3);
        void Check(Tensor y, Func<double, double> f) => TensorAssert.Close(x.Select(f).ToArray(), [4, 5], y, 1e-6, 1e-6);
        Check(t + 1.5, v => v + 1.5);
        Check(1.5 + t, v => 1.5 + v);
        Check(t - 1.5, v => v - 1.5);
        Check(1.5 - t, v => 1.5 - v);
        Check(t * 3, v => v * 3);
        Check(3 * t, v => 3 * v);
        Check(t / 4, v => v / 4);
        Check(2 / t, v => 2 / v);
        Check(t.add(2), v => v + 2);
        Check(t.sub(2), v => v - 2);
        Check(t.mul(0.5f), v => v * 0.5);
        Check(t.div(0.5), v => v / 0.5);
        Check(t.remainder(0.75), v => v - 0.75 * Math.Floor(v / 0.75));
        var i = tensor(new long[] { 1, 2, 4 });
        Assert.Equal(new[] { 2f, 1f, 0.5f }, (2 / i).data<float>());
        Assert.Equal(new long[] { 9, 8, 6 }, (10 - i).data<long>());
        Assert.Equal(new long[] { 2, 0, 1 }, tensor(new long[] { -4, 6, 7 }).remainder(3).data<long>());
    }

    [Fact]
    public void InPlaceArithmetic()
    {
        using var scope = NewDisposeScope();
        var (a, av, b, bv) = BroadcastPair(7, 0.5, 2);
        var target = zeros(3, 2, 4);
        var ptr = target.data_ptr();
        target.add_(a).add_(b, 2).sub_(b).mul_(b).div_(a).add_(1).sub_(0.5).mul_(2).div_(4);
        var expected = Naive.Zip(av, [3, 1, 4], bv, [2, 4], (x, y) => (((x + 2 * y - y) * y / x) + 1 - 0.5) * 2 / 4, out var shape);
        TensorAssert.Close(expected, shape, target, 1e-6, 1e-6);
        Assert.Equal(ptr, target.data_ptr());

        var m = tensor(Rng.Doubles(8, 6), [2, 3]);
        var mv = m.data<double>();
        var t1 = tensor(Rng.Doubles(9, 6), [2, 3]);
        var t2 = tensor(Rng.Doubles(10, 6, 1, 2), [2, 3]);
        var v1 = t1.data<double>();
        var v2 = t2.data<double>();
        TensorAssert.Close(mv.Select((v, k) => v + 0.5 * v1[k] * v2[k]).ToArray(), m.clone().addcmul_(t1, t2, 0.5).data<double>(), 1e-14, 1e-14);
        TensorAssert.Close(mv.Select((v, k) => v - 2 * v1[k] / v2[k]).ToArray(), m.clone().addcdiv_(t1, t2, -2).data<double>(), 1e-14, 1e-14);
        TensorAssert.Close(mv.Select((v, k) => v + 0.25 * (v1[k] - v)).ToArray(), m.clone().lerp_(t1, 0.25).data<double>(), 1e-14, 1e-14);
        Assert.Equal(new[] { 3.0, 3, 3 }, zeros([3], float64).fill_(3).data<double>());
        Assert.Equal(new[] { 0.0, 0 }, ones([2], float64).zero_().data<double>());
    }

    [Fact]
    public void ComparisonsBroadcastAndScalars()
    {
        using var scope = NewDisposeScope();
        // Small integers make ties likely, so == and <= are exercised.
        var araw = Rng.Longs(11, 12, -2, 3).Select(v => (float)v).ToArray();
        var braw = Rng.Longs(12, 4, -2, 3).Select(v => (float)v).ToArray();
        var a = tensor(araw, [4, 3]).t();                 // [3, 4] non-contiguous
        var av = Naive.Transpose(Naive.ToDouble(araw), 4, 3);
        var b = tensor(braw, [4]);
        var bv = Naive.ToDouble(braw);
        void Check(Tensor r, Func<double, double, bool> f)
        {
            Assert.Equal(@bool, r.dtype);
            Assert.Equal(new long[] { 3, 4 }, r.shape);
            Assert.Equal(av.Select((v, i) => f(v, bv[i % 4])), r.data<bool>());
        }
        Check(a.eq(b), (x, y) => x == y);
        Check(a.ne(b), (x, y) => x != y);
        Check(a.lt(b), (x, y) => x < y);
        Check(a.le(b), (x, y) => x <= y);
        Check(a.gt(b), (x, y) => x > y);
        Check(a.ge(b), (x, y) => x >= y);
        Check(a < b, (x, y) => x < y);
        Check(a <= b, (x, y) => x <= y);
        Check(a > b, (x, y) => x > y);
        Check(a >= b, (x, y) => x >= y);
        void CheckScalar(Tensor r, Func<double, bool> f) => Assert.Equal(av.Select(f), r.data<bool>());
        CheckScalar(a.eq(1), v => v == 1);
        CheckScalar(a.ne(1), v => v != 1);
        CheckScalar(a.lt(0), v => v < 0);
        CheckScalar(a.le(0), v => v <= 0);
        CheckScalar(a.gt(0), v => v > 0);
        CheckScalar(a.ge(0), v => v >= 0);
        CheckScalar(a < 1, v => v < 1);
        CheckScalar(a > 1, v => v > 1);
        CheckScalar(a <= 1, v => v <= 1);
        CheckScalar(a >= 1, v => v >= 1);
        CheckScalar(1 < a, v => 1 < v);
        CheckScalar(1 > a, v => 1 > v);
        CheckScalar(1 <= a, v => 1 <= v);
        CheckScalar(1 >= a, v => 1 >= v);
        Assert.True(a.equal(a.clone()));
        Assert.False(a.equal(a + 1));
        Assert.True(a.allclose(a + 1e-7f, 0, 1e-6));
        Assert.False(a.allclose(a + 1e-3f));
    }

    [Fact]
    public void LogicalOps()
    {
        using var scope = NewDisposeScope();
        var p = new[] { true, true, false, false };
        var q = new[] { true, false, true, false };
        var tp = tensor(p, [4, 1]);
        var tq = tensor(q, [1, 4]);
        void Check(Tensor r, Func<bool, bool, bool> f)
        {
            Assert.Equal(new long[] { 4, 4 }, r.shape);
            var v = r.data<bool>();
            for (var i = 0; i < 4; i++)
                for (var j = 0; j < 4; j++)
                    Assert.Equal(f(p[i], q[j]), v[i * 4 + j]);
        }
        Check(tp.logical_and(tq), (x, y) => x && y);
        Check(tp.logical_or(tq), (x, y) => x || y);
        Check(tp.logical_xor(tq), (x, y) => x ^ y);
        Check(tp & tq, (x, y) => x && y);
        Check(tp | tq, (x, y) => x || y);
        Check(tp ^ tq, (x, y) => x ^ y);
        Assert.Equal(p.Select(v => !v), (!tensor(p)).data<bool>());
        Assert.Equal(p.Select(v => !v), tensor(p).logical_not().data<bool>());
        // Non-bool inputs: non-zero is true.
        var f = tensor(new[] { 0f, 2f, -1f, 0f });
        Assert.Equal(new[] { false, true, true, false }, f.logical_or(zeros(4)).data<bool>());
        Assert.Equal(new[] { true, false, false, true }, f.logical_not().data<bool>());
    }

    [Fact]
    public void NanAndInfTests()
    {
        using var scope = NewDisposeScope();
        var values = new[] { 1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -2.5f };
        foreach (var dtype in new[] { float32, float64, bfloat16, float16 })
        {
            var t = tensor(values).to(dtype);
            Assert.Equal(values.Select(float.IsNaN), t.isnan().data<bool>());
            Assert.Equal(values.Select(float.IsInfinity), t.isinf().data<bool>());
            Assert.Equal(values.Select(float.IsFinite), t.isfinite().data<bool>());
        }
        Assert.All(tensor(new long[] { 1, 2 }).isnan().data<bool>(), Assert.False);
        var (x, _) = NonContiguous(13, -1, 1);
        var withNan = x.log();
        Assert.Equal(x.data<float>().Select(v => v < 0), withNan.isnan().data<bool>());
        Assert.Equal(x.data<float>().Select(v => v == 0), (1 / x).isinf().data<bool>());
    }

    [Fact]
    public void ArithmeticInEveryDtypeRoundsOrWrapsLikeTheType()
    {
        using var scope = NewDisposeScope();
        var a = Rng.Longs(20, 12, 0, 120);
        var b = Rng.Longs(21, 12, 1, 120);
        var fa = Rng.Floats(22, 12, -4, 4);
        var fb = Rng.Floats(23, 12, -4, 4);

        // Integers: exact, with two's-complement wrap-around in the narrow types.
        Assert.Equal(a.Select((v, i) => v * b[i] + v), (tensor(a) * tensor(b) + tensor(a)).data<long>());
        var a32 = a.Select(v => (int)v).ToArray();
        var b32 = b.Select(v => (int)v).ToArray();
        Assert.Equal(a32.Select((v, i) => v * b32[i] - b32[i]), (tensor(a32) * tensor(b32) - tensor(b32)).data<int>());
        var a8 = a.Select(v => (sbyte)v).ToArray();
        var b8 = b.Select(v => (sbyte)v).ToArray();
        Assert.Equal(a8.Select((v, i) => unchecked((sbyte)(v + b8[i]))), (tensor(a8) + tensor(b8)).data<sbyte>());
        var au = a.Select(v => (byte)(v * 2)).ToArray();
        var bu = b.Select(v => (byte)(v * 2)).ToArray();
        Assert.Equal(au.Select((v, i) => unchecked((byte)(v + bu[i]))), (tensor(au) + tensor(bu)).data<byte>());
        Assert.Equal(au.Select((v, i) => unchecked((byte)(v * bu[i]))), (tensor(au) * tensor(bu)).data<byte>());
        Assert.Equal(uint8, (tensor(au) + tensor(bu)).dtype);
        Assert.Equal(a.Select((v, i) => (long)Math.Floor(v / (double)b[i])), tensor(a).div(tensor(b), "floor").data<long>());

        // bfloat16 and float16: each result is the exact result of the rounded inputs, rounded once more.
        var abf = tensor(fa).to(bfloat16);
        var bbf = tensor(fb).to(bfloat16);
        var av = abf.data<BFloat16>().Select(v => v.ToSingle()).ToArray();
        var bv = bbf.data<BFloat16>().Select(v => v.ToSingle()).ToArray();
        Assert.Equal(av.Select((v, i) => BFloat16.FromSingle(v * bv[i]).Bits), (abf * bbf).data<BFloat16>().Select(v => v.Bits));
        Assert.Equal(av.Select((v, i) => BFloat16.FromSingle(v + bv[i]).Bits), (abf + bbf).data<BFloat16>().Select(v => v.Bits));
        var ah = tensor(fa).to(float16);
        var bh = tensor(fb).to(float16);
        var ahv = ah.data<Half>().Select(v => (float)v).ToArray();
        var bhv = bh.data<Half>().Select(v => (float)v).ToArray();
        Assert.Equal(ahv.Select((v, i) => (Half)(v * bhv[i])), (ah * bh).data<Half>());
        Assert.Equal(ahv.Select((v, i) => (Half)(v - bhv[i])), (ah - bh).data<Half>());
        // (libtorch 1.13 has no CPU exp kernel for float16; bfloat16 has one, computed in float32 and rounded.)
        Assert.Contains("Half", Assert.Throws<TorchException>(() => ah.exp()).Message);
        TensorAssert.Close(av.Select(v => (double)BFloat16.FromSingle(MathF.Exp(v)).ToSingle()).ToArray(),
            abf.exp().data<BFloat16>().Select(v => (double)v.ToSingle()).ToArray(), 0, 1.0 / 128);

        // bool: logical results, and bool + bool promotes nothing surprising.
        var p = new[] { true, false, true, false };
        var q = new[] { true, true, false, false };
        Assert.Equal(new[] { true, false, false, false }, (tensor(p) & tensor(q)).data<bool>());
        Assert.Equal(new long[] { 2, 1, 1, 0 }, (tensor(p).to(int64) + tensor(q).to(int64)).data<long>());
    }
}
