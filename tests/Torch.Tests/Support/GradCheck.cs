using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests;

/// <summary>Checks autograd against central finite differences in float64.</summary>
internal static class GradCheck
{
    /// <summary>
    /// For L(x₁…xₙ) = Σ f(x)·w with a fixed random projection w, compares ∂L/∂xₖ from backward() with
    /// (L(x + εeⱼ) − L(x − εeⱼ)) / 2ε for every element j of every input k marked in <paramref name="inputs"/>.
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> f, (double[] data, long[] shape)[] inputs, double eps = 1e-6,
        double atol = 1e-6, double rtol = 1e-5, int seed = 12345, bool[]? differentiable = null)
    {
        differentiable ??= inputs.Select(_ => true).ToArray();
        using var scope = NewDisposeScope();
        var xs = inputs.Select((inp, k) => tensor(inp.data, inp.shape, requires_grad: differentiable[k])).ToArray();
        var y = f(xs);
        Assert.Equal(ScalarType.Float64, y.dtype);
        var w = Rng.Doubles(seed, y.numel(), 0.5, 1.5);
        using (var wt = tensor(w, y.shape))
        using (var loss = (y * wt).sum())
            loss.backward();

        for (var k = 0; k < inputs.Length; k++)
        {
            if (!differentiable[k]) continue;
            var analytic = xs[k].grad?.data<double>() ?? new double[inputs[k].data.Length];
            for (var j = 0; j < inputs[k].data.Length; j++)
            {
                var plus = Evaluate(f, inputs, k, j, eps, w);
                var minus = Evaluate(f, inputs, k, j, -eps, w);
                var numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - analytic[j]) <= atol + rtol * Math.Abs(numeric),
                    $"input {k} element {j}: backward gives {analytic[j]:R}, finite differences {numeric:R}");
            }
        }
    }

    private static double Evaluate(Func<Tensor[], Tensor> f, (double[] data, long[] shape)[] inputs, int k, int j, double delta, double[] w)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var xs = inputs.Select((inp, i) =>
        {
            var data = (double[])inp.data.Clone();
            if (i == k) data[j] += delta;
            return tensor(data, inp.shape);
        }).ToArray();
        var y = f(xs).data<double>();
        double sum = 0;
        for (var i = 0; i < y.Length; i++) sum += y[i] * w[i];
        return sum;
    }
}
