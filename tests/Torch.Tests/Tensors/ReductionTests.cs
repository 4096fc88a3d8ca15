using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class ReductionTests
{
    /// <summary>A non-contiguous [3, 4, 5] float64 tensor (a permuted [5, 3, 4]) and its logical values.</summary>
    private static (Tensor t, double[] x) Input(int seed, bool distinct = true)
    {
        var raw = distinct ? Rng.Doubles(seed, 60, -5, 5) : Rng.Longs(seed, 60, -3, 4).Select(v => (double)v).ToArray();
        var t = tensor(raw, [5, 3, 4]).permute(1, 2, 0);
        return (t, Naive.Permute(raw, [5, 3, 4], [1, 2, 0], out _));
    }

    private static readonly long[] Shape = [3, 4, 5];

    private static long[] Without(long[] shape, int dim, bool keep)
    {
        if (!keep) return shape.Where((_, d) => d != dim).ToArray();
        var s = (long[])shape.Clone();
        s[dim] = 1;
        return s;
    }

    [Fact]
    public void SumAndMean()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Input(1);
        TensorAssert.Close([x.Sum()], [], t.sum(), 1e-12, 1e-12);
        TensorAssert.Close([x.Average()], [], t.mean(), 1e-12, 1e-12);
        for (var dim = 0; dim < 3; dim++)
            foreach (var keep in new[] { false, true })
            {
                TensorAssert.Close(Naive.Reduce(x, Shape, dim, l => l.Sum()), Without(Shape, dim, keep), t.sum(dim, keep), 1e-12, 1e-12);
                TensorAssert.Close(Naive.Reduce(x, Shape, dim, Naive.Mean), Without(Shape, dim, keep), t.mean(dim, keep), 1e-12, 1e-12);
            }
        // A literal 0 is a dimension, not dtype 0 (uint8).
        TensorAssert.Close(Naive.Reduce(x, Shape, 0, l => l.Sum()), [4, 5], t.sum(0), 1e-12, 1e-12);
        TensorAssert.Close(Naive.Reduce(x, Shape, 0, Naive.Mean), [4, 5], t.mean(0), 1e-12, 1e-12);
        Assert.Equal(new long[] { 3 + 5 }, tensor(new long[] { 1, 2, 5 }).reshape(1, 3).sum(0, true).sum(1).data<long>());
        // several dims at once: sum over 0 and 2
        var over02 = new double[4];
        for (var i = 0; i < 3; i++) for (var j = 0; j < 4; j++) for (var k = 0; k < 5; k++) over02[j] += x[i * 20 + j * 5 + k];
        TensorAssert.Close(over02, [4], t.sum([0, 2]), 1e-12, 1e-12);
        TensorAssert.Close(over02.Select(v => v / 15).ToArray(), [1, 4, 1], t.mean([0, -1], keepdim: true), 1e-12, 1e-12);
        // dtype argument: int sums accumulate in int64 by default, float32 sums can be done in float64
        var ints = tensor(new[] { int.MaxValue, int.MaxValue });
        Assert.Equal(int64, ints.sum().dtype);
        Assert.Equal(2L * int.MaxValue, ints.sum().item<long>());
        Assert.Equal(float64, t.to(float32).sum(float64).dtype);
        Assert.Equal(float64, tensor(new[] { 1, 2, 3 }).mean(float64).dtype);
        TensorAssert.Close([x.Aggregate(1.0, (a, v) => a * v)], [], t.prod(), 1e-12, 1e-10);
    }

    [Fact]
    public void VarAndStd()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Input(2);
        TensorAssert.Close([Naive.Var(x, true)], [], t.var(), 1e-12, 1e-12);
        TensorAssert.Close([Naive.Var(x, false)], [], t.var(unbiased: false), 1e-12, 1e-12);
        TensorAssert.Close([Math.Sqrt(Naive.Var(x, true))], [], t.std(), 1e-12, 1e-12);
        TensorAssert.Close([Math.Sqrt(Naive.Var(x, false))], [], t.std(false), 1e-12, 1e-12);
        for (var dim = 0; dim < 3; dim++)
            foreach (var unbiased in new[] { true, false })
            {
                TensorAssert.Close(Naive.Reduce(x, Shape, dim, l => Naive.Var(l, unbiased)), Without(Shape, dim, false), t.var(dim, unbiased), 1e-12, 1e-12);
                TensorAssert.Close(Naive.Reduce(x, Shape, dim, l => Math.Sqrt(Naive.Var(l, unbiased))), Without(Shape, dim, true), t.std(dim, unbiased, keepdim: true), 1e-12, 1e-12);
            }
    }

    [Fact]
    public void MaxMinValuesAndIndices()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Input(3);
        Assert.Equal(x.Max(), t.max().item<double>());
        Assert.Equal(x.Min(), t.min().item<double>());
        for (var dim = 0; dim < 3; dim++)
        {
            var (maxV, maxI) = t.max(dim);
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.Max()), maxV.data<double>());
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => Array.IndexOf(l, l.Max())), maxI.data<long>().Select(v => (double)v));
            Assert.Equal(int64, maxI.dtype);
            var (minV, minI) = t.min(dim, keepdim: true);
            Assert.Equal(Without(Shape, dim, true), minV.shape);
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.Min()), minV.data<double>());
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => Array.IndexOf(l, l.Min())), minI.data<long>().Select(v => (double)v));
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => Array.IndexOf(l, l.Max())), t.argmax(dim).data<long>().Select(v => (double)v));
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => Array.IndexOf(l, l.Min())), t.argmin(dim, keepdim: true).data<long>().Select(v => (double)v));
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.Max()), t.amax([dim]).data<double>());
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.Min()), t.amin([dim]).data<double>());
        }
        Assert.Equal(Array.IndexOf(x, x.Max()), t.argmax().item<long>());
        Assert.Equal(Array.IndexOf(x, x.Min()), t.argmin().item<long>());
        // Ties: the first occurrence.
        var tied = tensor(new[] { 1.0, 3, 3, 0, 0 });
        Assert.Equal(1L, tied.argmax().item<long>());
        Assert.Equal(3L, tied.argmin().item<long>());
        var ti = tensor(new long[] { 4, -2, 9, 9 });
        Assert.Equal(9L, ti.max().item<long>());
        Assert.Equal(2L, ti.max(0).indexes.item<long>());
    }

    [Fact]
    public void Cumsum()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Input(4);
        for (var dim = 0; dim < 3; dim++)
        {
            var expected = Naive.AlongDim(x, Shape, dim, lane =>
            {
                var acc = 0.0;
                return lane.Select(v => acc += v).ToArray();
            });
            TensorAssert.Close(expected, Shape, t.cumsum(dim), 1e-12, 1e-12);
        }
        Assert.Equal(new long[] { 1, 3, 6 }, tensor(new[] { 1, 2, 3 }).cumsum(0).data<long>());
        Assert.Equal(float64, tensor(new[] { 1f, 2f }).cumsum(0, float64).dtype);
    }

    [Fact]
    public void TopkSortArgsort()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Input(5);
        for (var dim = 0; dim < 3; dim++)
        {
            foreach (var descending in new[] { false, true })
            {
                var (values, indexes) = t.sort(dim, descending);
                var ev = Naive.AlongDim(x, Shape, dim, lane => descending ? lane.OrderByDescending(v => v).ToArray() : lane.OrderBy(v => v).ToArray());
                var ei = Naive.AlongDim(x, Shape, dim, lane =>
                    (descending ? lane.Select((v, i) => (v, i)).OrderByDescending(p => p.v) : lane.Select((v, i) => (v, i)).OrderBy(p => p.v)).Select(p => (double)p.i).ToArray());
                Assert.Equal(ev, values.data<double>());
                Assert.Equal(ei, indexes.data<long>().Select(v => (double)v));
                Assert.Equal(ei, t.argsort(dim, descending).data<long>().Select(v => (double)v));
            }
        }
        foreach (var largest in new[] { true, false })
        {
            var (values, indexes) = t.topk(3, dim: 1, largest: largest);
            Assert.Equal(new long[] { 3, 3, 5 }, values.shape);
            var lanes = Naive.Lanes(Shape, 1);
            var vv = values.data<double>();
            var iv = indexes.data<long>();
            var outLanes = Naive.Lanes([3, 3, 5], 1);
            for (var l = 0; l < lanes.Count; l++)
            {
                var lane = lanes[l].Select(p => x[p]).ToArray();
                var order = lane.Select((v, i) => (v, i)).OrderBy(p => largest ? -p.v : p.v).Take(3).ToArray();
                for (var k = 0; k < 3; k++)
                {
                    Assert.Equal(order[k].v, vv[outLanes[l][k]]);
                    Assert.Equal(order[k].i, iv[outLanes[l][k]]);
                }
            }
        }
        var (v1, i1) = tensor(new[] { 0.5, 2, -1, 7 }).topk(2);
        Assert.Equal(new[] { 7.0, 2 }, v1.data<double>());
        Assert.Equal(new long[] { 3, 1 }, i1.data<long>());
    }

    [Fact]
    public void AnyAllCountNonzero()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Input(6, distinct: false);            // small integers: many zeros
        var nz = t.ne(0);
        Assert.Equal(x.Any(v => v != 0), nz.any().item<bool>());
        Assert.Equal(x.All(v => v != 0), nz.all().item<bool>());
        for (var dim = 0; dim < 3; dim++)
        {
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.Any(v => v > 2) ? 1 : 0), TensorAssert.Values(t.gt(2).any(dim)));
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.All(v => v > -3) ? 1 : 0), TensorAssert.Values(t.gt(-3).all(dim)));
            Assert.Equal(Without(Shape, dim, true), t.gt(2).any(dim, keepdim: true).shape);
            Assert.Equal(Naive.Reduce(x, Shape, dim, l => l.Count(v => v != 0)), t.count_nonzero(dim).data<long>().Select(v => (double)v));
        }
        Assert.Equal(x.Count(v => v != 0), t.count_nonzero().item<long>());
        Assert.Equal(int64, t.count_nonzero().dtype);
        Assert.True(tensor(new[] { 0f, 1f }).any().item<bool>());
        Assert.False(tensor(new[] { 0f, 1f }).all().item<bool>());
        Assert.True(zeros(0).all().item<bool>());
        Assert.False(zeros(0).any().item<bool>());
    }
}
