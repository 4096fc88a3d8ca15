using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class ShapeTests
{
    private static (Tensor t, double[] x) Random3(int seed, long a, long b, long c)
    {
        var x = Rng.Doubles(seed, a * b * c);
        return (tensor(x, [a, b, c]), x);
    }

    [Fact]
    public void ViewAndReshape()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Random3(1, 2, 3, 4);
        var v = t.view(6, 4);
        Assert.Equal(new long[] { 6, 4 }, v.shape);
        Assert.Equal(x, v.data<double>());
        Assert.Equal(t.data_ptr(), v.data_ptr());
        Assert.Equal(new long[] { 4, 6 }, t.view(-1, 6).shape);
        Assert.Equal(new long[] { 24 }, t.reshape(-1).shape);

        var tt = t.transpose(0, 2);                      // non-contiguous: view fails, reshape copies
        Assert.Throws<TorchException>(() => tt.view(24));
        var r = tt.reshape(4, 6);
        var expected = Naive.Permute(x, [2, 3, 4], [2, 1, 0], out _);
        Assert.Equal(expected, r.data<double>());
        Assert.Equal(new long[] { 2, 12 }, t.flatten(1).shape);
        Assert.Equal(new long[] { 2, 3, 2, 2 }, t.unflatten(2, 2, 2).shape);
    }

    [Fact]
    public void PermuteTransposeContiguous()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Random3(2, 2, 3, 4);
        var p = t.permute(1, 2, 0);
        Assert.Equal(Naive.Permute(x, [2, 3, 4], [1, 2, 0], out var ps), p.data<double>());
        Assert.Equal(ps, p.shape);
        Assert.Equal(new long[] { 4, 1, 12 }, p.stride());
        var c = p.contiguous();
        Assert.Equal(new long[] { 8, 2, 1 }, c.stride());
        Assert.Equal(p.data<double>(), c.data<double>());
        Assert.NotEqual(p.data_ptr(), c.data_ptr());
        var already = c.contiguous();
        Assert.Equal(c.data_ptr(), already.data_ptr());

        var tr = t.transpose(-1, 0);
        Assert.Equal(Naive.Permute(x, [2, 3, 4], [2, 1, 0], out _), tr.data<double>());
        var m = tensor(Rng.Doubles(3, 6), [2, 3]);
        Assert.Equal(Naive.Transpose(m.data<double>(), 2, 3), m.t().data<double>());
        Assert.Equal(Naive.Transpose(m.data<double>(), 2, 3), m.T.data<double>());
    }

    [Fact]
    public void NarrowSelectSlice()
    {
        using var scope = NewDisposeScope();
        var (t, x) = Random3(3, 3, 5, 2);
        var n = t.narrow(1, 1, 3);
        Assert.Equal(new long[] { 3, 3, 2 }, n.shape);
        Assert.Equal(2, n.storage_offset());
        var nv = n.data<double>();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                for (var k = 0; k < 2; k++)
                    Assert.Equal(x[i * 10 + (j + 1) * 2 + k], nv[i * 6 + j * 2 + k]);

        var s = t.select(1, -1);
        Assert.Equal(new long[] { 3, 2 }, s.shape);
        var sv = s.data<double>();
        for (var i = 0; i < 3; i++)
            for (var k = 0; k < 2; k++)
                Assert.Equal(x[i * 10 + 4 * 2 + k], sv[i * 2 + k]);

        var sl = t.slice(1, 0, null, 2);                 // 0, 2, 4
        Assert.Equal(new long[] { 3, 3, 2 }, sl.shape);
        Assert.Equal(x[1 * 10 + 4 * 2 + 1], sl[1, 2, 1].item<double>());
        Assert.Equal(new long[] { 3, 2, 2 }, t.slice(1, -2, null).shape);
        // Views share storage: writing through one is seen by the base.
        n.fill_(7);
        Assert.Equal(7.0, t[2, 3, 1].item<double>());
        Assert.Equal(x[0], t[0, 0, 0].item<double>());
    }

    [Fact]
    public void IndexerIntegersRangesEllipsisNone()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(4, 4 * 5 * 6);
        var t = tensor(x, [4, 5, 6]);
        double At(long i, long j, long k) => x[i * 30 + j * 6 + k];

        var a = t[0, 1..^1];                              // [3, 6]
        Assert.Equal(new long[] { 3, 6 }, a.shape);
        Assert.Equal(At(0, 3, 5), a[2, 5].item<double>());
        Assert.Equal(At(3, 4, 5), t[-1, -1, -1].item<double>());
        Assert.Equal(new long[] { 4, 5 }, t[TensorIndex.Ellipsis, 2].shape);
        Assert.Equal(At(1, 2, 2), t[TensorIndex.Ellipsis, 2][1, 2].item<double>());
        Assert.Equal(new long[] { 5, 6 }, t[1, TensorIndex.Ellipsis].shape);
        Assert.Equal(new long[] { 4, 1, 5, 6 }, t[.., TensorIndex.None].shape);
        Assert.Equal(new long[] { 1, 4, 5, 6 }, t[TensorIndex.None].shape);
        Assert.Equal(new long[] { 4, 5, 6, 1 }, t[TensorIndex.Ellipsis, TensorIndex.None].shape);
        var stepped = t[1..3, TensorIndex.Slice(null, null, 2), ^2..];
        Assert.Equal(new long[] { 2, 3, 2 }, stepped.shape);
        Assert.Equal(At(2, 4, 5), stepped[1, 2, 1].item<double>());
        Assert.Equal(new long[] { 4, 5, 6 }, t[..].shape);
        Assert.Equal(new long[] { 4, 5, 0 }, t[.., .., 3..3].shape);
        Assert.Equal(new long[] { 4, 5, 0 }, t[.., .., ^0..].shape);  // start at the end: empty
        Assert.Equal(new long[] { 4, 5, 6 }, t[.., .., ..^0].shape);
        Assert.Equal(t.data_ptr(), t[0].data_ptr());
        // None, ellipsis and integers mixed.
        Assert.Equal(new long[] { 1, 5, 6 }, t[TensorIndex.None, 0].shape);
        Assert.Equal(At(0, 2, 0), t[TensorIndex.None, 0][0, 2, 0].item<double>());
        Assert.Equal(new long[] { 1, 4, 5 }, t[TensorIndex.None, TensorIndex.Ellipsis, 3].shape);
        Assert.Equal(At(2, 1, 3), t[TensorIndex.None, TensorIndex.Ellipsis, 3][0, 2, 1].item<double>());
        Assert.Equal(new long[] { 4, 5, 6 }, t[TensorIndex.Ellipsis].shape);
        Assert.Equal(new long[] { 5 }, t[1, .., 2].shape);
        Assert.Equal(At(1, 3, 2), t[1, .., 2][3].item<double>());
        Assert.Equal(new long[] { 3, 1, 5, 6 }, t[tensor(new long[] { 0, 1, 3 }), TensorIndex.None].shape);
        Assert.Equal(new long[] { 4, 5, 2 }, t[TensorIndex.Ellipsis, tensor(new long[] { 5, 0 })].shape);
        Assert.Equal(At(3, 4, 0), t[TensorIndex.Ellipsis, tensor(new long[] { 5, 0 })][3, 4, 1].item<double>());
        Assert.Equal(new long[] { 4 }, zeros([4])[TensorIndex.Colon].shape);
    }

    [Fact]
    public void IndexerWithTensors()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(5, 4 * 3);
        var t = tensor(x, [4, 3]);
        var rows = t[tensor(new long[] { 3, 0, 3 })];
        Assert.Equal(new long[] { 3, 3 }, rows.shape);
        Assert.Equal(x[9..12].Concat(x[0..3]).Concat(x[9..12]), rows.data<double>());
        var cols = t[.., tensor(new long[] { 2, -1 })];
        Assert.Equal(new long[] { 4, 2 }, cols.shape);
        Assert.Equal(x[5], cols[1, 1].item<double>());
        var pairs = t[tensor(new long[] { 0, 1, 2 }), tensor(new long[] { 2, 1, 0 })];
        Assert.Equal(new[] { x[2], x[4], x[6] }, pairs.data<double>());
        var mixed = t[tensor(new long[] { 1, 3 }), 0];
        Assert.Equal(new[] { x[3], x[9] }, mixed.data<double>());
        var mask = t > 0;
        Assert.Equal(x.Where(v => v > 0), t[mask].data<double>());
    }

    [Fact]
    public void IndexerWithMultiDimensionalMasks()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(30, 4 * 5 * 6);
        var t = tensor(x, [4, 5, 6]);
        double At(long i, long j, long k) => x[i * 30 + j * 6 + k];
        var m45 = t[.., .., 0] > 0;                          // covers dims 0 and 1
        var mv = m45.data<bool>();
        var kept = Enumerable.Range(0, 20).Where(p => mv[p]).ToArray();

        var a = t[m45, 2];                                   // [k]: t[i, j, 2] for mask[i, j]
        Assert.Equal(kept.Select(p => At(p / 5, p % 5, 2)), a.data<double>());
        var b = t[m45, TensorIndex.None];                    // [k, 1, 6]
        Assert.Equal(new long[] { kept.Length, 1, 6 }, b.shape);
        var c = t[m45, TensorIndex.Ellipsis, 1..3];          // [k, 2]
        Assert.Equal(kept.SelectMany(p => new[] { At(p / 5, p % 5, 1), At(p / 5, p % 5, 2) }), c.data<double>());

        var m56 = t[0] > 0;                                  // covers dims 1 and 2
        var m56v = m56.data<bool>();
        var kept56 = Enumerable.Range(0, 30).Where(p => m56v[p]).ToArray();
        var d = t[TensorIndex.Ellipsis, m56];                // [4, k]
        Assert.Equal(new long[] { 4, kept56.Length }, d.shape);
        Assert.Equal(kept56.Select(p => At(3, p / 6, p % 6)), d[3].data<double>());
        var e = t[1, m56];                                   // [k]
        Assert.Equal(kept56.Select(p => At(1, p / 6, p % 6)), e.data<double>());

        // A mask then an index tensor in the next free dimension.
        var f = t[m45, tensor(new long[] { 5 })];
        Assert.Equal(kept.Select(p => At(p / 5, p % 5, 5)), f.data<double>());

        var copy = t.clone();
        copy[m45, 0] = tensor(-7.0);
        var cv = copy.data<double>();
        for (var p = 0; p < 20; p++)
            Assert.Equal(mv[p] ? -7.0 : At(p / 5, p % 5, 0), cv[p * 6]);
        Assert.Equal(At(0, 0, 1), cv[1]);
        Assert.Throws<ArgumentException>(() => t[m45, 0, 0, 0]); // a 2-d mask plus three integers is four dimensions
    }

    [Fact]
    public void IndexerSetter()
    {
        using var scope = NewDisposeScope();
        var t = zeros(3, 4);
        t[0, 1..3] = tensor(new[] { 1f, 2f });
        t[1] = tensor(new[] { 5f });                      // broadcast
        t[2, TensorIndex.Ellipsis] = tensor(new[] { 1f, 2f, 3f, 4f }).t();
        Assert.Equal(new float[] { 0, 1, 2, 0, 5, 5, 5, 5, 1, 2, 3, 4 }, t.data<float>());
        t[tensor(new long[] { 0, 2 }), tensor(new long[] { 0, 3 })] = tensor(new[] { -1f, -2f });
        Assert.Equal(-1f, t[0, 0].item<float>());
        Assert.Equal(-2f, t[2, 3].item<float>());
        t.index_put_(new TensorIndex[] { t < 0 }, 9);                          // boolean mask, scalar value
        Assert.Equal(9f, t[0, 0].item<float>());
        Assert.Equal(9f, t[2, 3].item<float>());
        t.index_put_(new TensorIndex[] { .., 0 }, 8);
        t[t.eq(100f)] = tensor(-3f);                             // boolean mask, tensor value (nothing matches yet)
        Assert.DoesNotContain(-3f, t.data<float>());
        Assert.Equal(new[] { 8f, 8f, 8f }, t[.., 0].data<float>());
        // A view written through the indexer changes the base.
        var col = t[.., 2];
        col[1] = tensor(new[] { 100f });
        Assert.Equal(100f, t[1, 2].item<float>());
    }

    [Fact]
    public void IndexSelectGather()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(6, 5 * 4);
        var t = tensor(x, [5, 4]);
        var idx = new long[] { 4, 0, 4, 2 };
        var s0 = t.index_select(0, tensor(idx));
        var e0 = idx.SelectMany(i => x[(int)(i * 4)..(int)(i * 4 + 4)]).ToArray();
        Assert.Equal(e0, s0.data<double>());
        var tt = t.t();                                    // non-contiguous [4, 5]
        var s1 = tt.index_select(1, tensor(new long[] { 1, 3 }));
        Assert.Equal(new long[] { 4, 2 }, s1.shape);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(x[1 * 4 + i], s1[i, 0].item<double>());
            Assert.Equal(x[3 * 4 + i], s1[i, 1].item<double>());
        }
        Assert.Equal(e0, t.index_select(0, tensor(idx.Select(v => (int)v).ToArray())).data<double>()); // int32 index

        var g = Rng.Longs(7, 5 * 3, 0, 4);
        var gathered = t.gather(1, tensor(g, [5, 3]));
        for (var i = 0; i < 5; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(x[i * 4 + g[i * 3 + j]], gathered[i, j].item<double>());
        // A non-contiguous index tensor.
        var g1 = Rng.Longs(8, 3 * 5, 0, 4);
        var gathered1 = t.gather(1, tensor(g1, [3, 5]).t());  // index [5, 3], element (i, j) = g1[j*5 + i]
        for (var i = 0; i < 5; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(x[i * 4 + g1[j * 5 + i]], gathered1[i, j].item<double>());
    }

    [Fact]
    public void GatherAlongDim0()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(9, 4 * 5);
        var t = tensor(x, [4, 5]).t();                     // [5, 4], element (i, j) = x[j*5 + i]
        var idx = Rng.Longs(10, 3 * 4, 0, 5);
        var g = t.gather(0, tensor(idx, [3, 4]));
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 4; j++)
                Assert.Equal(x[j * 5 + idx[i * 4 + j]], g[i, j].item<double>());
    }

    [Fact]
    public void ScatterScatterAddIndexAdd()
    {
        using var scope = NewDisposeScope();
        var baseX = Rng.Doubles(11, 3 * 5);
        var src = Rng.Doubles(12, 3 * 2);
        var self = tensor(baseX, [3, 5]);
        var index = new long[3 * 2];
        for (var i = 0; i < 3; i++)
        {
            var perm = Rng.Permutation(20 + i, 5);
            index[i * 2] = perm[0]; index[i * 2 + 1] = perm[1];  // distinct within a row
        }
        var it = tensor(index, [3, 2]);
        var scattered = self.scatter(1, it, tensor(src, [3, 2]));
        var expected = (double[])baseX.Clone();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 2; j++)
                expected[i * 5 + index[i * 2 + j]] = src[i * 2 + j];
        Assert.Equal(expected, scattered.data<double>());
        Assert.Equal(baseX, self.data<double>());          // out of place

        var filled = self.scatter(1, it, 9.5);
        expected = (double[])baseX.Clone();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 2; j++)
                expected[i * 5 + index[i * 2 + j]] = 9.5;
        Assert.Equal(expected, filled.data<double>());

        var dupIndex = Rng.Longs(13, 3 * 6, 0, 5);          // duplicates accumulate
        var dupSrc = Rng.Doubles(14, 3 * 6);
        var added = self.scatter_add(1, tensor(dupIndex, [3, 6]), tensor(dupSrc, [3, 6]));
        expected = (double[])baseX.Clone();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 6; j++)
                expected[i * 5 + dupIndex[i * 6 + j]] += dupSrc[i * 6 + j];
        TensorAssert.Close(expected, added.data<double>(), 1e-12, 1e-12);

        var rowsIdx = new long[] { 2, 0, 2, 1 };
        var source = Rng.Doubles(15, 4 * 5);
        var ia = self.index_add(0, tensor(rowsIdx), tensor(source, [4, 5]), 0.5);
        expected = (double[])baseX.Clone();
        for (var r = 0; r < 4; r++)
            for (var c = 0; c < 5; c++)
                expected[rowsIdx[r] * 5 + c] += 0.5 * source[r * 5 + c];
        TensorAssert.Close(expected, ia.data<double>(), 1e-12, 1e-12);
    }

    [Fact]
    public void MaskedFillMaskedSelectWhere()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(16, 3 * 4);
        var t = tensor(x, [3, 4]);
        var maskRow = new[] { true, false, false, true };
        var mask = tensor(maskRow, [1, 4]);                // broadcast over rows
        var filled = t.masked_fill(mask, -5);
        var expected = x.Select((v, i) => maskRow[i % 4] ? -5 : v).ToArray();
        Assert.Equal(expected, filled.data<double>());
        Assert.Equal(expected, t.masked_fill(mask, tensor(-5.0)).data<double>());
        var inplace = t.clone();
        inplace.masked_fill_(inplace < 0, 0);
        Assert.Equal(x.Select(v => v < 0 ? 0 : v), inplace.data<double>());

        var sel = t.masked_select(mask);
        Assert.Equal(x.Where((_, i) => maskRow[i % 4]), sel.data<double>());
        var tt = t.t();                                     // non-contiguous [4, 3]
        Assert.Equal(Naive.Transpose(x, 3, 4).Where(v => v > 0), tt.masked_select(tt > 0).data<double>());

        var y = Rng.Doubles(17, 4);
        var cond = t > 0;
        var w = where(cond, t, tensor(y, [4]));            // y broadcasts over rows
        Assert.Equal(x.Select((v, i) => v > 0 ? v : y[i % 4]), w.data<double>());
        Assert.Equal(x.Select(v => v > 0 ? v : 0.25), where(cond, t, 0.25).data<double>());
        Assert.Equal(x.Select(v => v > 0 ? -1.0 : v), where(cond, -1.0, t).data<double>());
    }

    [Fact]
    public void CatStackSplitChunk()
    {
        using var scope = NewDisposeScope();
        var a = Rng.Doubles(18, 2 * 3);
        var b = Rng.Doubles(19, 3 * 2);
        var ta = tensor(a, [2, 3]);
        var tb = tensor(b, [3, 2]).t();                      // non-contiguous [2, 3]
        var bT = Naive.Transpose(b, 3, 2);
        var c0 = cat([ta, tb]);
        Assert.Equal(new long[] { 4, 3 }, c0.shape);
        Assert.Equal(a.Concat(bT), c0.data<double>());
        var c1 = cat([ta, tb], 1);
        Assert.Equal(new long[] { 2, 6 }, c1.shape);
        Assert.Equal(a[0..3].Concat(bT[0..3]).Concat(a[3..6]).Concat(bT[3..6]), c1.data<double>());

        var s0 = stack([ta, tb]);
        Assert.Equal(new long[] { 2, 2, 3 }, s0.shape);
        Assert.Equal(a.Concat(bT), s0.data<double>());
        var s2 = stack([ta, tb], -1);
        Assert.Equal(new long[] { 2, 3, 2 }, s2.shape);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(a[i], s2.data<double>()[2 * i]);
            Assert.Equal(bT[i], s2.data<double>()[2 * i + 1]);
        }

        var x = Rng.Doubles(20, 2 * 5);
        var t = tensor(x, [2, 5]);
        var parts = t.split(2, 1);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 2, 1 }, parts[2].shape);
        Assert.Equal(new[] { x[2], x[3], x[7], x[8] }, parts[1].data<double>());
        var sized = t.split([1, 3, 1], 1);
        Assert.Equal(new long[] { 1, 3, 1 }, sized.Select(p => p.size(1)).ToArray());
        Assert.Equal(new[] { x[1], x[2], x[3], x[6], x[7], x[8] }, sized[1].data<double>());
        var chunks = t.chunk(3, 1);
        Assert.Equal(new long[] { 2, 2, 1 }, chunks.Select(p => p.size(1)).ToArray());
        Assert.Equal(cat(chunks, 1).data<double>(), x);
        var rows = t.chunk(2);
        Assert.Equal(x[0..5], rows[0].data<double>());
        var unbound = t.unbind(1);
        Assert.Equal(5, unbound.Length);
        Assert.Equal(new[] { x[4], x[9] }, unbound[4].data<double>());
    }

    [Fact]
    public void ExpandRepeatSqueezeFlipTriangles()
    {
        using var scope = NewDisposeScope();
        var x = Rng.Doubles(21, 3);
        var col = tensor(x, [3, 1]);
        var e = col.expand(3, 4);
        Assert.Equal(new long[] { 3, 4 }, e.shape);
        Assert.Equal(new long[] { 1, 0 }, e.stride());
        Assert.Equal(x.SelectMany(v => Enumerable.Repeat(v, 4)), e.data<double>());
        Assert.Equal(new long[] { 2, 3, 5 }, col.expand(2, -1, 5).shape);
        Assert.Equal(new long[] { 3, 4 }, col.expand_as(zeros(3, 4)).shape);

        var m = tensor(new double[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        var r = m.repeat(2, 2);
        Assert.Equal(new long[] { 4, 6 }, r.shape);
        Assert.Equal(new double[] { 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6 }, r.data<double>());
        Assert.Equal(new long[] { 2, 2, 3 }, m.repeat(2, 1, 1).shape);
        Assert.Equal(new double[] { 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6 }, m.repeat_interleave(2).data<double>());

        var s = zeros(1, 3, 1, 2);
        Assert.Equal(new long[] { 3, 2 }, s.squeeze().shape);
        Assert.Equal(new long[] { 1, 3, 2 }, s.squeeze(2).shape);
        Assert.Equal(new long[] { 1, 3, 1, 2 }, s.squeeze(1).shape);   // not size 1: unchanged
        Assert.Equal(new long[] { 2, 1, 3 }, m.unsqueeze(1).shape);
        Assert.Equal(new long[] { 2, 3, 1 }, m.unsqueeze(-1).shape);

        Assert.Equal(new double[] { 4, 5, 6, 1, 2, 3 }, m.flip(0).data<double>());
        Assert.Equal(new double[] { 6, 5, 4, 3, 2, 1 }, m.flip(0, 1).data<double>());
        Assert.Equal(new double[] { 3, 2, 1, 6, 5, 4 }, m.flip(-1).data<double>());

        var sq = tensor(Rng.Doubles(22, 16), [4, 4]);
        var sqv = sq.data<double>();
        foreach (var diagonal in new long[] { -1, 0, 1 })
        {
            var lower = sq.tril(diagonal).data<double>();
            var upper = sq.triu(diagonal).data<double>();
            for (var i = 0; i < 4; i++)
                for (var j = 0; j < 4; j++)
                {
                    Assert.Equal(j - i <= diagonal ? sqv[i * 4 + j] : 0, lower[i * 4 + j]);
                    Assert.Equal(j - i >= diagonal ? sqv[i * 4 + j] : 0, upper[i * 4 + j]);
                }
        }
        var tl = sq.t().tril().data<double>();               // non-contiguous input
        for (var i = 0; i < 4; i++)
            for (var j = 0; j < 4; j++)
                Assert.Equal(j <= i ? sqv[j * 4 + i] : 0, tl[i * 4 + j]);
        Assert.Equal(new double[] { 3, 1, 2, 6, 4, 5 }, m.roll([1], [1]).data<double>());
    }
}
