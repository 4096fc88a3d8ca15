using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class LinalgTests
{
    private const double Tol = 1e-5;

    private static (Tensor t, double[] v) Mat(int seed, long rows, long cols, bool transposed = false)
    {
        var raw = Rng.Floats(seed, rows * cols);
        if (!transposed) return (tensor(raw, [rows, cols]), Naive.ToDouble(raw));
        return (tensor(raw, [cols, rows]).t(), Naive.Transpose(Naive.ToDouble(raw), cols, rows));
    }

    [Fact]
    public void MatmulTwoDimensional()
    {
        using var scope = NewDisposeScope();
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var (a, av) = Mat(1, 3, 4, ta);
            var (b, bv) = Mat(2, 4, 5, tb);
            TensorAssert.Close(Naive.MatMul(av, bv, 3, 4, 5), [3, 5], a.matmul(b), Tol, Tol);
            TensorAssert.Close(Naive.MatMul(av, bv, 3, 4, 5), [3, 5], a.mm(b), Tol, Tol);
        }
    }

    [Fact]
    public void MatmulBroadcastsBatchesAndVectors()
    {
        using var scope = NewDisposeScope();
        var araw = Rng.Floats(3, 2 * 3 * 4);
        var a = tensor(araw, [2, 3, 4]);
        var (b, bv) = Mat(4, 4, 5, transposed: true);
        var expected = new List<double>();
        for (var n = 0; n < 2; n++)
            expected.AddRange(Naive.MatMul(Naive.ToDouble(araw[(n * 12)..(n * 12 + 12)]), bv, 3, 4, 5));
        TensorAssert.Close(expected, [2, 3, 5], a.matmul(b), Tol, Tol);

        // [3, 4] @ [2, 4, 5] -> [2, 3, 5]
        var (m, mv) = Mat(5, 3, 4);
        var braw = Rng.Floats(6, 2 * 4 * 5);
        var bb = tensor(braw, [2, 4, 5]);
        expected.Clear();
        for (var n = 0; n < 2; n++)
            expected.AddRange(Naive.MatMul(mv, Naive.ToDouble(braw[(n * 20)..(n * 20 + 20)]), 3, 4, 5));
        TensorAssert.Close(expected, [2, 3, 5], m.matmul(bb), Tol, Tol);

        // [1, 3, 4] @ [2, 4, 5] broadcasts the batch dimension
        TensorAssert.Close(expected, [2, 3, 5], m.unsqueeze(0).matmul(bb), Tol, Tol);

        // vector cases
        var vraw = Rng.Floats(7, 4);
        var v = tensor(vraw);
        var vv = Naive.ToDouble(vraw);
        TensorAssert.Close(Naive.MatMul(vv, bv, 1, 4, 5), [5], v.matmul(b), Tol, Tol);
        TensorAssert.Close(Naive.MatMul(mv, vv, 3, 4, 1), [3], m.matmul(v), Tol, Tol);
        TensorAssert.Close([vv.Sum(x => x * x)], [], v.matmul(v), Tol, Tol);
        TensorAssert.Close([vv.Sum(x => x * x)], [], v.dot(v), Tol, Tol);
        var outer = v.outer(v).data<float>();
        for (var i = 0; i < 4; i++)
            for (var j = 0; j < 4; j++)
                Assert.Equal(vv[i] * vv[j], outer[i * 4 + j], 6);
    }

    private static double[] BatchMatMul(double[] a, double[] b, long batch, long m, long k, long n)
    {
        var result = new List<double>();
        for (long i = 0; i < batch; i++)
            result.AddRange(Naive.MatMul(a[(int)(i * m * k)..(int)((i + 1) * m * k)], b[(int)(i * k * n)..(int)((i + 1) * k * n)], m, k, n));
        return result.ToArray();
    }

    [Fact]
    public void BmmAndBaddbmm()
    {
        using var scope = NewDisposeScope();
        var araw = Rng.Floats(8, 2 * 3 * 4);
        var a = tensor(araw, [2, 4, 3]).transpose(1, 2);  // [2, 3, 4] non-contiguous
        var av = new double[24];
        for (var n = 0; n < 2; n++)
            Array.Copy(Naive.Transpose(Naive.ToDouble(araw[(n * 12)..(n * 12 + 12)]), 4, 3), 0, av, n * 12, 12);
        var braw = Rng.Floats(9, 2 * 4 * 5);
        var b = tensor(braw, [2, 4, 5]);
        var bv = Naive.ToDouble(braw);
        var prod = BatchMatMul(av, bv, 2, 3, 4, 5);
        TensorAssert.Close(prod, [2, 3, 5], a.bmm(b), Tol, Tol);

        var craw = Rng.Floats(10, 3 * 5);
        var c = tensor(craw, [3, 5]);                       // broadcast over the batch
        var cv = Naive.ToDouble(craw);
        var expected = prod.Select((p, i) => 0.5 * cv[i % 15] + 2 * p).ToArray();
        TensorAssert.Close(expected, [2, 3, 5], c.baddbmm(a, b, 0.5, 2), Tol, Tol);
        var plain = prod.Select((p, i) => cv[i % 15] + p).ToArray();
        TensorAssert.Close(plain, [2, 3, 5], c.baddbmm(a, b), Tol, Tol);

        var (m1, m1v) = Mat(11, 3, 4);
        var (m2, m2v) = Mat(12, 4, 5, transposed: true);
        var mm = Naive.MatMul(m1v, m2v, 3, 4, 5);
        TensorAssert.Close(mm.Select((p, i) => 0.25 * cv[i] - p).ToArray(), [3, 5], c.addmm(m1, m2, 0.25, -1), Tol, Tol);
    }

    [Fact]
    public void Linear()
    {
        using var scope = NewDisposeScope();
        var xraw = Rng.Floats(13, 2 * 3 * 4);
        var x = tensor(xraw, [2, 3, 4]);
        var (w, wv) = Mat(14, 5, 4);
        var braw = Rng.Floats(15, 5);
        var b = tensor(braw);
        var wt = Naive.Transpose(wv, 5, 4);
        var xw = Naive.MatMul(Naive.ToDouble(xraw), wt, 6, 4, 5);
        TensorAssert.Close(xw.Select((v, i) => v + braw[i % 5]).ToArray(), [2, 3, 5], nn.functional.linear(x, w, b), Tol, Tol);
        TensorAssert.Close(xw, [2, 3, 5], nn.functional.linear(x, w), Tol, Tol);
        // A transposed weight view gives the same result.
        var wT = tensor(wt.Select(v => (float)v).ToArray(), [4, 5]).t();
        TensorAssert.Close(xw, [2, 3, 5], nn.functional.linear(x, wT), Tol, Tol);
    }

    [Fact]
    public void Einsum()
    {
        using var scope = NewDisposeScope();
        var araw = Rng.Floats(16, 2 * 3 * 4);
        var braw = Rng.Floats(17, 2 * 4 * 5);
        var a = tensor(araw, [2, 3, 4]);
        var b = tensor(braw, [2, 4, 5]);
        TensorAssert.Close(BatchMatMul(Naive.ToDouble(araw), Naive.ToDouble(braw), 2, 3, 4, 5), [2, 3, 5], einsum("bij,bjk->bik", a, b), Tol, Tol);
        var (m, mv) = Mat(18, 4, 4, transposed: true);
        TensorAssert.Close([mv[0] + mv[5] + mv[10] + mv[15]], [], einsum("ii->", m), Tol, Tol);
        TensorAssert.Close(Naive.Transpose(mv, 4, 4), [4, 4], einsum("ij->ji", m), 0, 0);
        var vraw = Rng.Floats(19, 4);
        TensorAssert.Close(Naive.MatMul(mv, Naive.ToDouble(vraw), 4, 4, 1), [4], einsum("ij,j->i", m, tensor(vraw)), Tol, Tol);
        var outer = einsum("i,j->ij", tensor(vraw), tensor(vraw));
        Assert.Equal(new long[] { 4, 4 }, outer.shape);
    }

    [Fact]
    public void Norms()
    {
        using var scope = NewDisposeScope();
        var (m, mv) = Mat(20, 3, 4, transposed: true);
        TensorAssert.Close([Math.Sqrt(mv.Sum(v => v * v))], [], m.norm(), Tol, Tol);
        TensorAssert.Close([mv.Sum(Math.Abs)], [], m.norm(1.0), Tol, Tol);   // norm(1) would bind norm(long dim), as in TorchSharp
        TensorAssert.Close([mv.Max(Math.Abs)], [], m.norm(double.PositiveInfinity), Tol, Tol);
        TensorAssert.Close([Math.Pow(mv.Sum(v => Math.Pow(Math.Abs(v), 3)), 1 / 3.0)], [], m.norm(3.0), Tol, Tol);
        var rows = Naive.Reduce(mv, [3, 4], 1, lane => Math.Sqrt(lane.Sum(v => v * v)));
        TensorAssert.Close(rows, [3], m.norm(1L), Tol, Tol);
        TensorAssert.Close(rows, [3, 1], m.norm(1L, keepdim: true), Tol, Tol);
        var cols = Naive.Reduce(mv, [3, 4], 0, lane => lane.Sum(Math.Abs));
        TensorAssert.Close(cols, [4], m.norm(1, [0]), Tol, Tol);
    }

    [Fact]
    public void SoftmaxLogSoftmaxLogSumExp()
    {
        using var scope = NewDisposeScope();
        var raw = Rng.Floats(21, 3 * 4 * 5, -4, 4);
        var t = tensor(raw, [5, 4, 3]).permute(2, 1, 0);   // [3, 4, 5] non-contiguous
        var x = Naive.Permute(Naive.ToDouble(raw), [5, 4, 3], [2, 1, 0], out var shape);
        foreach (var dim in new[] { 0, 1, 2 })
        {
            var sm = Naive.AlongDim(x, shape, dim, Naive.Softmax);
            TensorAssert.Close(sm, shape, t.softmax(dim), 1e-6, 1e-5, $"softmax dim {dim}");
            TensorAssert.Close(sm, shape, nn.functional.softmax(t, dim - 3), 1e-6, 1e-5);
            var lsm = Naive.AlongDim(x, shape, dim, lane => { var l = Naive.LogSumExp(lane); return lane.Select(v => v - l).ToArray(); });
            TensorAssert.Close(lsm, shape, t.log_softmax(dim), 1e-5, 1e-5, $"log_softmax dim {dim}");
            TensorAssert.Close(lsm, shape, nn.functional.log_softmax(t, dim), 1e-5, 1e-5);
            var lse = Naive.Reduce(x, shape, dim, Naive.LogSumExp);
            var reduced = shape.Where((_, d) => d != dim).ToArray();
            TensorAssert.Close(lse, reduced, t.logsumexp(dim), 1e-5, 1e-5, $"logsumexp dim {dim}");
            var kept = (long[])shape.Clone();
            kept[dim] = 1;
            TensorAssert.Close(lse, kept, t.logsumexp(dim, keepdim: true), 1e-5, 1e-5);
        }
        // Large logits stay finite (max subtraction) and a float64 softmax of float32 input.
        var big = tensor(new[] { 1000f, 1001f, 1002f });
        TensorAssert.Close(Naive.Softmax([0, 1, 2]), [3], big.softmax(0), 1e-6, 1e-5);
        Assert.Equal(float64, big.softmax(0, float64).dtype);
        TensorAssert.Close([1002 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-2))], [], big.logsumexp(0), 1e-3, 1e-6);
    }

    [Fact]
    public void LayerNorm()
    {
        using var scope = NewDisposeScope();
        var raw = Rng.Floats(22, 3 * 4 * 5, -3, 3);
        var t = tensor(raw, [3, 4, 5]);
        var w = Rng.Floats(23, 5, 0.5, 1.5);
        var b = Rng.Floats(24, 5);
        var x = Naive.ToDouble(raw);
        const double eps = 1e-5;
        var expected = Naive.AlongDim(x, [3, 4, 5], 2, lane =>
        {
            var mean = Naive.Mean(lane);
            var inv = 1 / Math.Sqrt(Naive.Var(lane, false) + eps);
            return lane.Select((v, k) => (v - mean) * inv * w[k] + b[k]).ToArray();
        });
        TensorAssert.Close(expected, [3, 4, 5], nn.functional.layer_norm(t, [5], tensor(w), tensor(b)), 1e-5, 1e-5);
        TensorAssert.Close(expected, [3, 4, 5], nn.functional.layer_norm(t.transpose(0, 1).contiguous().transpose(0, 1), [5], tensor(w), tensor(b)), 1e-5, 1e-5);

        // Over the last two dimensions, no affine, another eps.
        var flat = Naive.AlongDim(x, [3, 20], 1, lane =>
        {
            var mean = Naive.Mean(lane);
            var inv = 1 / Math.Sqrt(Naive.Var(lane, false) + 0.1);
            return lane.Select(v => (v - mean) * inv).ToArray();
        });
        TensorAssert.Close(flat, [3, 4, 5], nn.functional.layer_norm(t, [4, 5], eps: 0.1), 1e-5, 1e-5);
    }

    [Fact]
    public void RmsNorm()
    {
        using var scope = NewDisposeScope();
        var raw = Rng.Floats(25, 4 * 6, -2, 2);
        var w = Rng.Floats(26, 6, 0.5, 1.5);
        var x = Naive.ToDouble(raw);
        const double eps = 1e-6;
        double[] Expected(double[] values, float[]? weight) => Naive.AlongDim(values, [4, 6], 1, lane =>
        {
            var inv = 1 / Math.Sqrt(lane.Sum(v => v * v) / lane.Length + eps);
            return lane.Select((v, k) => v * inv * (weight?[k] ?? 1)).ToArray();
        });
        var t = tensor(raw, [4, 6]);
        TensorAssert.Close(Expected(x, w), [4, 6], nn.functional.rms_norm(t, tensor(w)), 1e-5, 1e-5);
        TensorAssert.Close(Expected(x, null), [4, 6], nn.functional.rms_norm(t, null), 1e-5, 1e-5);

        // float64 stays float64 (no round trip through float32).
        var t64 = tensor(x, [4, 6]);
        var y64 = nn.functional.rms_norm(t64, tensor(w).to(float64));
        Assert.Equal(float64, y64.dtype);
        TensorAssert.Close(Expected(x, w), [4, 6], y64, 1e-14, 1e-14);

        // bfloat16: statistics in float32, normalised value rounded to bf16, then the bf16 weight multiply.
        var xb = t.to(bfloat16);
        var wb = tensor(w).to(bfloat16);
        var y = nn.functional.rms_norm(xb, wb);
        Assert.Equal(bfloat16, y.dtype);
        var xbv = xb.data<BFloat16>().Select(v => (double)v.ToSingle()).ToArray();
        var wbv = wb.data<BFloat16>().Select(v => v.ToSingle()).ToArray();
        var normalized = Expected(xbv, null);
        var expected = normalized.Select((v, i) => (double)BFloat16.FromSingle(BFloat16.FromSingle((float)v).ToSingle() * wbv[i % 6]).ToSingle()).ToArray();
        TensorAssert.Close(expected, y.data<BFloat16>().Select(v => (double)v.ToSingle()).ToArray(), 0, 1.0 / 128);
    }

    [Fact]
    public void Embedding()
    {
        using var scope = NewDisposeScope();
        var table = Rng.Floats(27, 10 * 4);
        var w = tensor(table, [10, 4]);
        var ids = new long[] { 3, 9, 0, 3, 3, 7 };
        var y = nn.functional.embedding(tensor(ids, [2, 3]), w);
        Assert.Equal(new long[] { 2, 3, 4 }, y.shape);
        Assert.Equal(ids.SelectMany(i => table[(int)(i * 4)..(int)(i * 4 + 4)]), y.data<float>());
        var y32 = nn.functional.embedding(tensor(ids.Select(i => (int)i).ToArray()), w);
        Assert.Equal(ids.SelectMany(i => table[(int)(i * 4)..(int)(i * 4 + 4)]), y32.data<float>());
    }

    [Fact]
    public void ScaledDotProductAttention()
    {
        using var scope = NewDisposeScope();
        var q = Rng.Floats(28, 3 * 4);
        var k = Rng.Floats(29, 5 * 4);
        var v = Rng.Floats(30, 5 * 2);
        var scores = Naive.MatMul(Naive.ToDouble(q), Naive.Transpose(Naive.ToDouble(k), 5, 4), 3, 4, 5).Select(s => s / 2).ToArray();
        var maskRows = new bool[3, 5];
        for (var i = 0; i < 3; i++) for (var j = 0; j < 5; j++) maskRows[i, j] = j <= i + 1;
        var masked = scores.Select((s, idx) => maskRows[idx / 5, idx % 5] ? s : double.NegativeInfinity).ToArray();
        var weights = Naive.AlongDim(masked, [3, 5], 1, Naive.Softmax);
        var expected = Naive.MatMul(weights, Naive.ToDouble(v), 3, 5, 2);
        var maskT = tensor(Enumerable.Range(0, 15).Select(idx => maskRows[idx / 5, idx % 5]).ToArray(), [3, 5]);
        var y = nn.functional.scaled_dot_product_attention(tensor(q, [3, 4]), tensor(k, [5, 4]), tensor(v, [5, 2]), maskT);
        TensorAssert.Close(expected, [3, 2], y, 1e-5, 1e-5);
    }
}
