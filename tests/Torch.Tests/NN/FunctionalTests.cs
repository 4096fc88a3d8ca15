using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.NN;

public class FunctionalTests
{
    private const int N = 7, C = 5;

    private static double[] LogSoftmaxRows(double[] logits, int n, int c) =>
        Naive.AlongDim(logits, [n, c], 1, lane => { var l = Naive.LogSumExp(lane); return lane.Select(v => v - l).ToArray(); });

    private static (Tensor logits, double[] lv, long[] target) Problem(int seed, long ignore)
    {
        var raw = Rng.Floats(seed, N * C, -3, 3);
        var target = Rng.Longs(seed + 1, N, 0, C);
        target[2] = ignore;
        target[5] = ignore;
        // A non-contiguous logits tensor.
        var logits = tensor(Naive.Transpose(Naive.ToDouble(raw), N, C).Select(v => (float)v).ToArray(), [C, N]).t();
        return (logits, Naive.ToDouble(raw), target);
    }

    [Theory]
    [InlineData(-100L)]
    [InlineData(3L)]
    public void CrossEntropyAndNllWithIgnoreIndexEveryReduction(long ignore)
    {
        using var scope = NewDisposeScope();
        var (logits, lv, target) = Problem(ignore == -100 ? 1 : 2, ignore);
        var logp = LogSoftmaxRows(lv, N, C);
        var perRow = Enumerable.Range(0, N).Select(i => target[i] == ignore ? 0 : -logp[i * C + target[i]]).ToArray();
        var kept = target.Count(t => t != ignore);
        var tt = tensor(target);

        TensorAssert.Close(perRow, [N], nn.functional.cross_entropy(logits, tt, ignore_index: ignore, reduction: nn.Reduction.None), 1e-5, 1e-5);
        TensorAssert.Close([perRow.Sum()], [], nn.functional.cross_entropy(logits, tt, ignore_index: ignore, reduction: nn.Reduction.Sum), 1e-5, 1e-5);
        TensorAssert.Close([perRow.Sum() / kept], [], nn.functional.cross_entropy(logits, tt, ignore_index: ignore), 1e-5, 1e-5);

        var lsm = logits.log_softmax(1);
        TensorAssert.Close(perRow, [N], nn.functional.nll_loss(lsm, tt, ignore_index: ignore, reduction: nn.Reduction.None), 1e-5, 1e-5);
        TensorAssert.Close([perRow.Sum()], [], nn.functional.nll_loss(lsm, tt, ignore_index: ignore, reduction: nn.Reduction.Sum), 1e-5, 1e-5);
        TensorAssert.Close([perRow.Sum() / kept], [], nn.functional.nll_loss(lsm, tt, ignore_index: ignore), 1e-5, 1e-5);

        // Class weights: per-row losses scaled by w[target], the mean divides by the summed weights of kept rows.
        var w = Rng.Doubles(9, C, 0.5, 2).Select(v => (double)(float)v).ToArray();
        var wt = tensor(w).to(float32);
        var weighted = perRow.Select((l, i) => target[i] == ignore ? 0 : l * w[target[i]]).ToArray();
        var wsum = target.Where(t => t != ignore).Sum(t => w[t]);
        TensorAssert.Close(weighted, [N], nn.functional.cross_entropy(logits, tt, wt, ignore, nn.Reduction.None), 1e-5, 1e-5);
        TensorAssert.Close([weighted.Sum()], [], nn.functional.cross_entropy(logits, tt, wt, ignore, nn.Reduction.Sum), 1e-5, 1e-5);
        TensorAssert.Close([weighted.Sum() / wsum], [], nn.functional.cross_entropy(logits, tt, wt, ignore), 1e-5, 1e-5);
        TensorAssert.Close([weighted.Sum() / wsum], [], nn.functional.nll_loss(lsm, tt, wt, ignore), 1e-5, 1e-5);
    }

    [Fact]
    public void CrossEntropyLabelSmoothingAndSpatialTargets()
    {
        using var scope = NewDisposeScope();
        var (logits, lv, target) = Problem(3, -100);
        var logp = LogSoftmaxRows(lv, N, C);
        const double eps = 0.2;
        var rows = Enumerable.Range(0, N).Where(i => target[i] != -100)
            .Select(i => (1 - eps) * -logp[i * C + target[i]] + eps / C * Enumerable.Range(0, C).Sum(c => -logp[i * C + c])).ToArray();
        TensorAssert.Close([rows.Average()], [], nn.functional.cross_entropy(logits, tensor(target), label_smoothing: eps), 1e-5, 1e-5);

        // [N, C, d] logits with [N, d] targets: class dimension is 1.
        var raw = Rng.Doubles(4, 2 * C * 3, -2, 2);
        var tgt = Rng.Longs(5, 2 * 3, 0, C);
        var spatial = tensor(raw, [2, C, 3]);
        var expected = new double[6];
        for (var n = 0; n < 2; n++)
            for (var d = 0; d < 3; d++)
            {
                var lane = Enumerable.Range(0, C).Select(c => raw[n * C * 3 + c * 3 + d]).ToArray();
                expected[n * 3 + d] = Naive.LogSumExp(lane) - lane[tgt[n * 3 + d]];
            }
        TensorAssert.Close(expected, [2, 3], nn.functional.cross_entropy(spatial, tensor(tgt, [2, 3]), reduction: nn.Reduction.None), 1e-12, 1e-12);
    }

    [Fact]
    public void CrossEntropyRejectsOutOfRangeTargets()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(3, 4);
        Assert.Throws<TorchException>(() => nn.functional.cross_entropy(logits, tensor(new long[] { 0, 4, 1 })));
        Assert.Throws<TorchException>(() => nn.functional.cross_entropy(logits, tensor(new long[] { 0, -1, 1 })));
        Assert.Throws<TorchException>(() => nn.functional.cross_entropy(logits, tensor(new[] { 0f, 1f, 1f })));
    }

    [Fact]
    public void MseAndBinaryCrossEntropyWithLogits()
    {
        using var scope = NewDisposeScope();
        var a = Rng.Doubles(6, 12);
        var b = Rng.Doubles(7, 12);
        var ta = tensor(a, [3, 4]);
        var tb = tensor(b, [4, 3]).t();
        var bv = Naive.Transpose(b, 4, 3);
        var sq = a.Select((v, i) => (v - bv[i]) * (v - bv[i])).ToArray();
        TensorAssert.Close([sq.Average()], [], nn.functional.mse_loss(ta, tb), 1e-12, 1e-12);
        TensorAssert.Close([sq.Sum()], [], nn.functional.mse_loss(ta, tb, nn.Reduction.Sum), 1e-12, 1e-12);
        TensorAssert.Close(sq, [3, 4], nn.functional.mse_loss(ta, tb, nn.Reduction.None), 1e-12, 1e-12);

        var y = bv.Select(v => v > 0 ? 1.0 : 0.0).ToArray();
        var bce = a.Select((x, i) => -(y[i] * Math.Log(Naive.Sigmoid(x)) + (1 - y[i]) * Math.Log(1 - Naive.Sigmoid(x)))).ToArray();
        TensorAssert.Close([bce.Average()], [], nn.functional.binary_cross_entropy_with_logits(ta, tensor(y, [3, 4])), 1e-12, 1e-12);
        TensorAssert.Close(bce, [3, 4], nn.functional.binary_cross_entropy_with_logits(ta, tensor(y, [3, 4]), nn.Reduction.None), 1e-12, 1e-12);
    }

    [Fact]
    public void Dropout()
    {
        using var scope = NewDisposeScope();
        var x = ones(10000);
        Assert.Equal(x.data<float>(), nn.functional.dropout(x, 0.5, training: false).data<float>());
        Assert.Equal(x.data<float>(), nn.functional.dropout(x, 0).data<float>());
        Assert.All(nn.functional.dropout(x, 1).data<float>(), v => Assert.Equal(0f, v));
        var d = nn.functional.dropout(x, 0.25).data<float>();
        Assert.All(d, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-6, $"dropout gave {v}"));
        Assert.InRange(d.Count(v => v == 0) / 10000.0, 0.22, 0.28);
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.functional.dropout(x, 1.5));
        Assert.Equal(x.data<float>(), nn.functional.relu(x).data<float>());
    }
}
