using System.Runtime.InteropServices;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class CreationTests
{
    [Fact]
    public void ZerosOnesFullEmpty()
    {
        using var scope = NewDisposeScope();
        var z = zeros(2, 3);
        Assert.Equal(new long[] { 2, 3 }, z.shape);
        Assert.Equal(float32, z.dtype);
        Assert.All(z.data<float>(), v => Assert.Equal(0f, v));
        Assert.All(zeros([4], int64).data<long>(), v => Assert.Equal(0L, v));
        var o = ones(3, 1, 2);
        Assert.Equal(new long[] { 3, 1, 2 }, o.shape);
        Assert.All(o.data<float>(), v => Assert.Equal(1f, v));
        Assert.All(ones([5], bfloat16).data<BFloat16>(), v => Assert.Equal(1f, v.ToSingle()));

        var fi = full([2, 2], 7);
        Assert.Equal(int64, fi.dtype);
        Assert.All(fi.data<long>(), v => Assert.Equal(7L, v));
        var ff = full([3], 2.5);
        Assert.Equal(float32, ff.dtype);
        Assert.All(ff.data<float>(), v => Assert.Equal(2.5f, v));
        var fb = full([2], true);
        Assert.Equal(@bool, fb.dtype);
        Assert.All(fb.data<bool>(), Assert.True);
        Assert.All(full([3], 3, float64).data<double>(), v => Assert.Equal(3.0, v));

        var e = empty([3, 4]);
        Assert.Equal(new long[] { 3, 4 }, e.shape);
        Assert.Equal(float32, e.dtype);
        Assert.Equal(12, e.numel());
        Assert.Equal(0, empty([0, 5]).numel());
        Assert.Empty(zeros(0).data<float>());
        var scalar = zeros([]);
        Assert.Empty(scalar.shape);
        Assert.Equal(1, scalar.numel());
        Assert.Equal(0, scalar.dim());
    }

    [Fact]
    public void LikeFactoriesKeepShapeAndDtype()
    {
        using var scope = NewDisposeScope();
        var t = tensor(Rng.Doubles(1, 6), [2, 3]);
        foreach (var like in new[] { zeros_like(t), ones_like(t), empty_like(t), rand_like(t), randn_like(t), full_like(t, 4) })
        {
            Assert.Equal(t.shape, like.shape);
            Assert.Equal(float64, like.dtype);
        }
        Assert.All(zeros_like(t).data<double>(), v => Assert.Equal(0, v));
        Assert.All(ones_like(t).data<double>(), v => Assert.Equal(1, v));
        Assert.All(full_like(t, 4).data<double>(), v => Assert.Equal(4, v));
        Assert.All(rand_like(t).data<double>(), v => Assert.InRange(v, 0, 1));
        Assert.Equal(int32, zeros_like(t, int32).dtype);
    }

    [Fact]
    public void ArangeLinspaceEye()
    {
        using var scope = NewDisposeScope();
        var a = arange(5);
        Assert.Equal(int64, a.dtype);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, a.data<long>());
        Assert.Equal(new long[] { 1, 4, 7 }, arange(1, 10, 3).data<long>());
        Assert.Equal(new long[] { 2, 3, 4 }, arange(2, 5).data<long>());
        var f = arange(0.0, 1.0, 0.25);
        Assert.Equal(float32, f.dtype);
        Assert.Equal(new[] { 0f, 0.25f, 0.5f, 0.75f }, f.data<float>());
        Assert.Equal(new[] { 0.0, 1, 2 }, arange(3, float64).data<double>());
        Assert.Equal(new long[] { 5, 3, 1 }, arange(5, 0, -2).data<long>());

        var l = linspace(-1, 3, 9);
        Assert.Equal(float32, l.dtype);
        TensorAssert.Close(Enumerable.Range(0, 9).Select(i => -1 + i * 0.5).ToArray(), l.data<float>(), 1e-6, 0);
        var ld = linspace(0, 1, 7, float64).data<double>();
        for (var i = 0; i < 7; i++) Assert.Equal(i / 6.0, ld[i], 15);
        Assert.Equal(new[] { 2f }, linspace(2, 5, 1).data<float>());
        Assert.Empty(linspace(0, 1, 0).data<float>());

        var eye3 = eye(3);
        Assert.Equal(new long[] { 3, 3 }, eye3.shape);
        var ev = eye3.data<float>();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(i == j ? 1f : 0f, ev[i * 3 + j]);
        Assert.Equal(new long[] { 1, 0, 0, 1 }, eye(2, int64).data<long>());
    }

    [Fact]
    public void RandomFactoriesHaveTheRightRangeAndMoments()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2024);
        var u = rand([20000], generator: g);
        Assert.Equal(float32, u.dtype);
        var uv = u.data<float>();
        Assert.All(uv, v => Assert.True(v >= 0 && v < 1, $"rand gave {v}"));
        Assert.InRange(uv.Average(), 0.49, 0.51);
        Assert.InRange(Naive.Var(Naive.ToDouble(uv), true), 1 / 12.0 - 0.003, 1 / 12.0 + 0.003);

        var n = randn([20000], float64, generator: g).data<double>();
        Assert.InRange(n.Average(), -0.03, 0.03);
        Assert.InRange(Math.Sqrt(Naive.Var(n, true)), 0.97, 1.03);
        Assert.Equal(new long[] { 3, 4 }, randn(3, 4).shape);
        Assert.Equal(new long[] { 2, 5 }, rand(2, 5).shape);
        Assert.Equal(bfloat16, rand([4], bfloat16).dtype);

        var r = randint(3, 7, [4000], generator: g);
        Assert.Equal(int64, r.dtype);
        var rv = r.data<long>();
        Assert.All(rv, v => Assert.InRange(v, 3, 6));
        for (var k = 3; k < 7; k++) Assert.InRange(rv.Count(v => v == k), 900, 1100);
        Assert.Equal(int32, randint(10, [5], int32).dtype);
        Assert.All(randint(10, [100], generator: g).data<long>(), v => Assert.InRange(v, 0, 9));
        Assert.True(rand([3], requires_grad: true).requires_grad);
    }

    [Fact]
    public void TensorFromArraysAndSpansCopies()
    {
        using var scope = NewDisposeScope();
        var data = Rng.Floats(3, 12);
        var t = tensor(data, [3, 4]);
        Assert.Equal(new long[] { 3, 4 }, t.shape);
        Assert.Equal(data, t.data<float>());
        data[0] = 1234f;                                          // a copy: the tensor does not see it
        Assert.NotEqual(1234f, t.data<float>()[0]);

        var fromSpan = tensor<float>(data.AsSpan(4, 6), [2, 3]);
        Assert.Equal(data[4..10], fromSpan.data<float>());
        ReadOnlySpan<long> stackSpan = stackalloc long[] { 5, 6, 7 };
        Assert.Equal(new long[] { 5, 6, 7 }, tensor(stackSpan).data<long>());

        var oneD = tensor(new[] { 1.0, 2.0 });
        Assert.Equal(new long[] { 2 }, oneD.shape);
        var converted = tensor(new[] { 1.5f, 2.5f }, dtype: float64);
        Assert.Equal(float64, converted.dtype);
        Assert.Equal(new[] { 1.5, 2.5 }, converted.data<double>());

        var s = tensor(3.5f);
        Assert.Empty(s.shape);
        Assert.Equal(3.5f, s.item<float>());
        Assert.Equal(3.5, s.item<double>());
        Assert.Equal(float64, tensor(2.0).dtype);
        Assert.Equal(42L, tensor(42L).item<long>());
        Assert.Equal(42, tensor(42L).item<int>());
        Assert.True(tensor(true).item<bool>());
        Assert.Equal(int64, tensor(42L).dtype);
        Assert.Equal(2.0f, tensor(new[] { 2L }).item<float>());
        Assert.True(tensor(new[] { 1f }, requires_grad: true).requires_grad);
    }

    [Fact]
    public void FromArrayIsZeroCopyBothWays()
    {
        var array = new float[] { 1, 2, 3, 4, 5, 6 };
        using var t = from_array(array, [2, 3]);
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        unsafe
        {
            fixed (float* p = array) Assert.Equal((IntPtr)p, t.data_ptr());
        }
        array[4] = 42;
        Assert.Equal(42f, t[1, 1].item<float>());
        t.mul_(2);
        Assert.Equal(new float[] { 2, 4, 6, 8, 84, 12 }, array);
        using var oneD = from_array(new long[] { 7, 8 });
        Assert.Equal(new long[] { 2 }, oneD.shape);
        Assert.Equal(int64, oneD.dtype);
    }

    private sealed class NativeBuffer : IDisposable
    {
        public unsafe NativeBuffer(int floats)
        {
            Address = (IntPtr)NativeMemory.Alloc((nuint)(floats * sizeof(float)));
            var span = new Span<float>((void*)Address, floats);
            for (var i = 0; i < floats; i++) span[i] = i;
        }
        public IntPtr Address { get; }
        public int DisposeCount { get; private set; }
        public unsafe void Dispose()
        {
            DisposeCount++;
            NativeMemory.Free((void*)Address);
        }
    }

    [Fact]
    public void FromBlobDisposesItsOwnerWhenTheLastTensorDies()
    {
        var owner = new NativeBuffer(12);
        var t = from_blob(owner.Address, [3, 4], float32, owner);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), t.data<float>());
        var view = t[1..3, 2];                                  // a view keeps the storage alive
        t.Dispose();
        Assert.Equal(0, owner.DisposeCount);
        Assert.Equal(new[] { 6f, 10f }, view.data<float>());
        var copy = view.clone();                                 // a copy does not
        view.Dispose();
        Assert.Equal(1, owner.DisposeCount);
        Assert.Equal(new[] { 6f, 10f }, copy.data<float>());
        copy.Dispose();
        Assert.Equal(1, owner.DisposeCount);
    }

    [Fact]
    public void FromBlobHonoursStrides()
    {
        var owner = new NativeBuffer(12);
        using (var t = from_blob(owner.Address, [4, 3], float32, owner, strides: [1, 4]))
        {
            // element (i, j) sits at i + 4j: the transpose of a row-major [3, 4].
            var expected = Naive.Transpose(Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), 3, 4);
            TensorAssert.Close(expected, t.data<float>(), 0, 0);
            Assert.Equal(new long[] { 1, 4 }, t.stride());
        }
        Assert.Equal(1, owner.DisposeCount);
        using var noOwner = from_blob(IntPtr.Zero, [0], float32);
        Assert.Equal(0, noOwner.numel());
    }

    [Fact]
    public void DataAndItemReadAnyLayout()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Floats(4, 24);
        var t = tensor(x, [2, 3, 4]);
        var p = t.permute(2, 0, 1);
        var expected = Naive.Permute(Naive.ToDouble(x), [2, 3, 4], [2, 0, 1], out var shape);
        Assert.Equal(shape, p.shape);
        TensorAssert.Close(expected, p.data<float>(), 0, 0);
        var sliced = t[.., 1.., 1..3];
        var exp2 = new List<double>();
        for (var i = 0; i < 2; i++)
            for (var j = 1; j < 3; j++)
                for (var k = 1; k < 3; k++)
                    exp2.Add(x[i * 12 + j * 4 + k]);
        TensorAssert.Close(exp2, sliced.data<float>(), 0, 0);
        Assert.Equal(x[1 * 12 + 2 * 4 + 3], t[1, 2, 3].item<float>());
        Assert.Equal((double)x[5], t.flatten()[5].item<double>());
    }
}
