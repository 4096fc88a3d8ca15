using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.NN;

public class LayerTests
{
    [Fact]
    public void LinearForwardMatchesNaive()
    {
        using var scope = NewDisposeScope();
        using var lin = new nn.Linear(5, 3);
        var w = lin.weight.data<float>();
        var b = lin.bias!.data<float>();
        var bound = 1 / Math.Sqrt(5);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.All(b, v => Assert.InRange(v, -bound, bound));
        Assert.Equal(new long[] { 3, 5 }, lin.weight.shape);
        var xraw = Rng.Floats(1, 2 * 4 * 5);
        var x = tensor(xraw, [2, 4, 5]);
        var expected = Naive.MatMul(Naive.ToDouble(xraw), Naive.Transpose(Naive.ToDouble(w), 3, 5), 8, 5, 3).Select((v, i) => v + b[i % 3]).ToArray();
        TensorAssert.Close(expected, [2, 4, 3], lin.forward(x), 1e-5, 1e-5);
        TensorAssert.Close(expected, [2, 4, 3], lin.call(x), 1e-5, 1e-5);

        using var noBias = new nn.Linear(5, 2, hasBias: false, dtype: float64);
        Assert.Null(noBias.bias);
        Assert.Equal(new[] { "weight" }, noBias.named_parameters().Select(p => p.name));
        Assert.Equal(float64, noBias.weight.dtype);
        var xd = tensor(Rng.Doubles(2, 5), [1, 5]);
        var wd = noBias.weight.data<double>();
        TensorAssert.Close(Naive.MatMul(xd.data<double>(), Naive.Transpose(wd, 2, 5), 1, 5, 2), [1, 2], noBias.forward(xd), 1e-12, 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new nn.Linear(0, 3));
    }

    [Fact]
    public void EmbeddingForwardMatchesNaive()
    {
        using var scope = NewDisposeScope();
        using var emb = new nn.Embedding(50, 8);
        var table = emb.weight.data<float>();
        Assert.InRange(table.Average(v => (double)v), -0.2, 0.2);              // N(0, 1) init
        Assert.InRange(Math.Sqrt(Naive.Var(Naive.ToDouble(table), true)), 0.85, 1.15);
        var ids = new long[] { 49, 0, 7, 7, 12, 3 };
        var y = emb.forward(tensor(ids, [3, 2]));
        Assert.Equal(new long[] { 3, 2, 8 }, y.shape);
        Assert.Equal(ids.SelectMany(i => table[(int)(i * 8)..(int)(i * 8 + 8)]), y.data<float>());
        y.sum().backward();
        var grad = emb.weight.grad!.data<float>();
        Assert.Equal(2f, grad[7 * 8]);                                           // id 7 used twice
        Assert.Equal(0f, grad[1 * 8]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new nn.Embedding(0, 3));
    }

    [Fact]
    public void LayerNormForwardMatchesNaive()
    {
        using var scope = NewDisposeScope();
        using var ln = new nn.LayerNorm(6);
        Assert.All(ln.weight!.data<float>(), v => Assert.Equal(1f, v));
        Assert.All(ln.bias!.data<float>(), v => Assert.Equal(0f, v));
        var w = Rng.Floats(3, 6, 0.5, 1.5);
        var b = Rng.Floats(4, 6);
        ln.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = tensor(w), ["bias"] = tensor(b) });
        var raw = Rng.Floats(5, 4 * 6, -3, 3);
        var expected = Naive.AlongDim(Naive.ToDouble(raw), [4, 6], 1, lane =>
        {
            var mean = Naive.Mean(lane);
            var inv = 1 / Math.Sqrt(Naive.Var(lane, false) + 1e-5);
            return lane.Select((v, k) => (v - mean) * inv * w[k] + b[k]).ToArray();
        });
        TensorAssert.Close(expected, [4, 6], ln.forward(tensor(raw, [4, 6])), 1e-5, 1e-5);

        using var plain = new nn.LayerNorm([2, 3], eps: 1e-3, elementwise_affine: false);
        Assert.Empty(plain.parameters());
        var flat = Naive.AlongDim(Naive.ToDouble(raw), [4, 6], 1, lane =>
        {
            var mean = Naive.Mean(lane);
            var inv = 1 / Math.Sqrt(Naive.Var(lane, false) + 1e-3);
            return lane.Select(v => (v - mean) * inv).ToArray();
        });
        TensorAssert.Close(flat, [4, 2, 3], plain.forward(tensor(raw, [4, 2, 3])), 1e-5, 1e-5);
        using var noBias = new nn.LayerNorm([6], hasBias: false);
        Assert.Equal(new[] { "weight" }, noBias.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void RMSNormForwardMatchesNaive()
    {
        using var scope = NewDisposeScope();
        using var norm = new nn.RMSNorm(6, eps: 1e-5);
        Assert.Equal(1e-5, norm.eps);
        var w = Rng.Floats(6, 6, 0.5, 1.5);
        using (no_grad()) norm.weight.copy_(tensor(w));
        var raw = Rng.Floats(7, 3 * 6, -2, 2);
        var expected = Naive.AlongDim(Naive.ToDouble(raw), [3, 6], 1, lane =>
        {
            var inv = 1 / Math.Sqrt(lane.Sum(v => v * v) / lane.Length + 1e-5);
            return lane.Select((v, k) => v * inv * w[k]).ToArray();
        });
        TensorAssert.Close(expected, [3, 6], norm.forward(tensor(raw, [3, 6])), 1e-5, 1e-5);
        norm.to(bfloat16);
        var y = norm.forward(tensor(raw, [3, 6]).to(bfloat16));
        Assert.Equal(bfloat16, y.dtype);
        TensorAssert.Close(expected, y.to(float32).data<float>(), 2e-2, 2e-2);
    }
}
