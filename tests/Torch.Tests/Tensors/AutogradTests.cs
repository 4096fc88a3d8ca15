using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class AutogradTests
{
    [Fact]
    public void BackwardComputesGradientsOfLeaves()
    {
        using var scope = NewDisposeScope();
        var xv = Rng.Doubles(1, 6);
        var x = tensor(xv, [2, 3], requires_grad: true);
        Assert.True(x.requires_grad);
        Assert.True(x.is_leaf);
        Assert.Null(x.grad);
        var y = (x * x * 3 + x).sum();
        Assert.True(y.requires_grad);
        Assert.False(y.is_leaf);
        y.backward();
        TensorAssert.Close(xv.Select(v => 6 * v + 1).ToArray(), [2, 3], x.grad!, 1e-12, 1e-12);

        // Gradients accumulate until cleared.
        (x * 2).sum().backward();
        TensorAssert.Close(xv.Select(v => 6 * v + 3).ToArray(), [2, 3], x.grad!, 1e-12, 1e-12);
        x.grad = null;
        Assert.Null(x.grad);
        x.sum().backward();
        Assert.All(x.grad!.data<double>(), v => Assert.Equal(1.0, v));
        x.grad = zeros_like(x);
        Assert.All(x.grad!.data<double>(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void NonScalarBackwardTakesAnOutputGradient()
    {
        using var scope = NewDisposeScope();
        var xv = Rng.Doubles(2, 4);
        var x = tensor(xv, requires_grad: true);
        var y = x.exp();
        var gv = Rng.Doubles(3, 4);
        y.backward(tensor(gv));
        TensorAssert.Close(xv.Select((v, i) => Math.Exp(v) * gv[i]).ToArray(), [4], x.grad!, 1e-12, 1e-12);
        var ex = Assert.Throws<TorchException>(() => (x * 2).backward());
        Assert.Contains("scalar", ex.Message);
    }

    [Fact]
    public void RetainGraphAndRetainGrad()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        var h = (x * x).retain_grad();
        var y = (h * 3).sum();
        y.backward(retain_graph: true);
        Assert.Equal(new[] { 3.0, 3.0 }, h.grad!.data<double>());
        y.backward();                                       // the graph was kept for a second pass
        Assert.Equal(new[] { 12.0, 24.0 }, x.grad!.data<double>());
        Assert.Throws<TorchException>(() => y.backward());  // now freed
        var z = tensor(new[] { 1.0 }, requires_grad: true);
        var g2 = (z * z * z).sum();
        g2.backward(create_graph: true);
        Assert.True(z.grad!.requires_grad);                  // higher-order graph
    }

    [Fact]
    public void DetachAndRequiresGradFlags()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, 2f, 3f }, requires_grad: true);
        var y = x * 2;
        var d = y.detach();
        Assert.False(d.requires_grad);
        Assert.True(d.is_leaf);
        Assert.Equal(y.data_ptr(), d.data_ptr());           // shares storage
        d.add_(1);
        Assert.Equal(new[] { 3f, 5f, 7f }, y.data<float>());
        Assert.False((d * x.detach()).requires_grad);
        var plain = tensor(new[] { 1f });
        Assert.False(plain.requires_grad);
        plain.requires_grad = true;
        Assert.True(plain.requires_grad);
        Assert.False(plain.requires_grad_(false).requires_grad);
        Assert.Throws<TorchException>(() => tensor(new long[] { 1 }).requires_grad = true);  // integers cannot require grad
    }

    [Fact]
    public void NoGradAndEnableGradScopes()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, 2f }, requires_grad: true);
        Assert.True(is_grad_enabled());
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            var y = x * 2;
            Assert.False(y.requires_grad);
            using (enable_grad())
            {
                Assert.True(is_grad_enabled());
                Assert.True((x * 2).requires_grad);
            }
            Assert.False(is_grad_enabled());
            x.add_(1);                                        // in-place on a leaf is allowed under no_grad
        }
        Assert.True(is_grad_enabled());
        Assert.True((x * 2).requires_grad);
        Assert.Equal(new[] { 2f, 3f }, x.data<float>());
        Assert.Throws<TorchException>(() => x.add_(1));       // but not with grad recording on
        var s = no_grad();
        s.Dispose();
        s.Dispose();                                           // disposing twice is harmless
        Assert.True(is_grad_enabled());
    }

    [Fact]
    public void GradModeIsPerThread()
    {
        using (no_grad())
        {
            var other = true;
            var thread = new Thread(() => other = is_grad_enabled());
            thread.Start();
            thread.Join();
            Assert.True(other);
            Assert.False(is_grad_enabled());
        }
    }

    [Fact]
    public void ModuleAndOptimizerZeroGrad()
    {
        using var scope = NewDisposeScope();
        using var lin = new nn.Linear(3, 2);
        lin.forward(ones(4, 3)).sum().backward();
        Assert.NotNull(lin.weight.grad);
        Assert.NotNull(lin.bias!.grad);
        lin.zero_grad();
        Assert.Null(lin.weight.grad);
        Assert.Null(lin.bias.grad);
        lin.forward(ones(4, 3)).sum().backward();
        using var opt = new optim.SGD(lin.parameters(), 0.1);
        opt.zero_grad();
        Assert.All(lin.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void AutocastMakesMatmulBFloat16OnlyInsideTheScope()
    {
        using var scope = NewDisposeScope();
        var av = Rng.Floats(4, 4 * 8);
        var bv = Rng.Floats(5, 8 * 3);
        var a = tensor(av, [4, 8], requires_grad: true);
        var b = tensor(bv, [8, 3]);
        Tensor inside;
        using (autocast())
        {
            inside = a.matmul(b);
            Assert.Equal(bfloat16, inside.dtype);
            Assert.Equal(bfloat16, nn.functional.linear(a, b.t()).dtype);
            Assert.Equal(bfloat16, a.unsqueeze(0).bmm(b.unsqueeze(0)).dtype);
            Assert.Equal(float32, (a + 1).dtype);           // not an autocast op
            using (autocast(enabled: false))
                Assert.Equal(float32, a.matmul(b).dtype);
            Assert.Equal(bfloat16, a.matmul(b).dtype);       // restored after the nested scope
        }
        Assert.Equal(float32, a.matmul(b).dtype);
        // Values: the product of bf16-rounded inputs, rounded to bf16.
        double R(float v) => BFloat16.FromSingle(v).ToSingle();
        var expected = Naive.MatMul(av.Select(R).ToArray(), bv.Select(R).ToArray(), 4, 8, 3);
        TensorAssert.Close(expected, inside.to(float32).data<float>(), 1e-2, 1e-2);
        // Gradients flow back to float32 leaves.
        inside.to(float32).sum().backward();
        Assert.Equal(float32, a.grad!.dtype);
        var rowSums = Enumerable.Range(0, 8).Select(k => bv.Skip(k * 3).Take(3).Sum(v => (double)v)).ToArray();
        TensorAssert.Close(Enumerable.Range(0, 32).Select(i => rowSums[i % 8]).ToArray(), a.grad.data<float>(), 5e-2, 2e-2);
    }

    // ---- finite differences (float64)

    private static (double[], long[]) In(int seed, params long[] shape) => (Rng.Doubles(seed, Naive.Numel(shape)), shape);

    [Fact]
    public void GradcheckMatmul()
    {
        GradCheck.Check(x => x[0].matmul(x[1]), [In(10, 3, 4), In(11, 4, 2)]);
        GradCheck.Check(x => x[0].matmul(x[1].t()), [In(12, 2, 3, 4), In(13, 2, 4)]);   // broadcast batch, transposed rhs
        GradCheck.Check(x => nn.functional.linear(x[0], x[1], x[2]), [In(14, 2, 3), In(15, 4, 3), In(16, 4)]);
    }

    [Fact]
    public void GradcheckSoftmax()
    {
        GradCheck.Check(x => x[0].softmax(1), [In(20, 3, 4)]);
        GradCheck.Check(x => x[0].t().log_softmax(-1), [In(21, 3, 4)]);
        GradCheck.Check(x => x[0].logsumexp(0), [In(22, 3, 4)]);
    }

    [Fact]
    public void GradcheckLayerNorm()
    {
        GradCheck.Check(x => nn.functional.layer_norm(x[0], [5], x[1], x[2]), [In(30, 3, 5), In(31, 5), In(32, 5)]);
        GradCheck.Check(x => nn.functional.rms_norm(x[0], x[1]), [In(33, 3, 5), In(34, 5)]);
    }

    [Fact]
    public void GradcheckGelu()
    {
        GradCheck.Check(x => x[0].gelu(), [(Rng.Doubles(40, 12, -3, 3), [12])]);
        GradCheck.Check(x => x[0].gelu("tanh"), [(Rng.Doubles(41, 12, -3, 3), [12])]);
        GradCheck.Check(x => x[0].silu() * x[0].sigmoid(), [(Rng.Doubles(42, 12, -3, 3), [12])]);
    }

    [Fact]
    public void GradcheckEmbeddingTable()
    {
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 2, 0, 2, 4, 2, 1 }, [2, 3]);  // repeated ids accumulate
        GradCheck.Check(x => nn.functional.embedding(ids, x[0]), [In(50, 6, 3)]);
    }

    [Fact]
    public void GradcheckCrossEntropy()
    {
        using var scope = NewDisposeScope();
        var target = tensor(new long[] { 1, -100, 4, 0, 4 });
        GradCheck.Check(x => nn.functional.cross_entropy(x[0], target), [In(60, 5, 6)]);
        GradCheck.Check(x => nn.functional.cross_entropy(x[0], target, reduction: nn.Reduction.Sum), [In(61, 5, 6)]);
        GradCheck.Check(x => nn.functional.cross_entropy(x[0], target, reduction: nn.Reduction.None), [In(62, 5, 6)]);
        var weight = tensor(new[] { 1.0, 2, 0.5, 1, 3, 1 });
        GradCheck.Check(x => nn.functional.cross_entropy(x[0], target, weight, label_smoothing: 0.1), [In(63, 5, 6)]);
    }

    [Fact]
    public void GradcheckGather()
    {
        using var scope = NewDisposeScope();
        var index = tensor(new long[] { 0, 3, 3, 1, 2, 2, 0, 0, 1 }, [3, 3]);
        GradCheck.Check(x => x[0].gather(1, index), [In(70, 3, 4)]);
        GradCheck.Check(x => x[0].index_select(0, tensor(new long[] { 2, 2, 0 })), [In(71, 3, 4)]);
        GradCheck.Check(x => x[0][tensor(new long[] { 1, 1 }), 1..3], [In(72, 3, 4)]);
    }

    [Fact]
    public void GradcheckTopk()
    {
        GradCheck.Check(x => x[0].topk(2, dim: 1).values, [In(80, 3, 5)]);
        GradCheck.Check(x => x[0].topk(2, dim: 0, largest: false).values * 2, [In(81, 4, 3)]);
        GradCheck.Check(x => x[0].max(1).values + x[0].sort(0).values.sum(0), [In(82, 3, 3)]);
    }

    [Fact]
    public void GradcheckReductionsAndBroadcasting()
    {
        GradCheck.Check(x => (x[0] * x[1] - x[0] / (x[1].abs() + 1)).mean(1), [In(90, 3, 4), In(91, 4)]);
        GradCheck.Check(x => x[0].var(0) + x[0].std(1, keepdim: true), [In(92, 3, 4)]);
        GradCheck.Check(x => x[0].pow(3).tanh().cumsum(1), [In(93, 2, 4)]);
    }

    [Fact]
    public void GradcheckScalarOperandsOnTheLeft()
    {
        var positive = (Rng.Doubles(94, 6, 0.5, 2), new long[] { 2, 3 });
        GradCheck.Check(x => 2 / x[0], [positive]);
        GradCheck.Check(x => 1.5 - x[0] * (3 * x[0]) + (2 + x[0]), [positive]);
        GradCheck.Check(x => (1 / x[0]).exp(), [positive]);
    }
}
