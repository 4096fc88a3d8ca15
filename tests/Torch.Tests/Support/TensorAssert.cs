using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests;

internal static class TensorAssert
{
    /// <summary>|e − a| ≤ atol + rtol·|e| elementwise (NaN must match NaN, infinities must match exactly).</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double atol = 1e-5, double rtol = 1e-5, string? what = null)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: expected {expected.Count} elements, got {actual.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e)) { Assert.True(double.IsNaN(a), $"{what}[{i}]: expected NaN, got {a}"); continue; }
            if (double.IsInfinity(e)) { Assert.True(e == a, $"{what}[{i}]: expected {e}, got {a}"); continue; }
            Assert.True(Math.Abs(e - a) <= atol + rtol * Math.Abs(e), $"{what}[{i}]: expected {e:R}, got {a:R} (|diff| {Math.Abs(e - a):E3})");
        }
    }

    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<float> actual, double atol = 1e-5, double rtol = 1e-5, string? what = null) =>
        Close(expected, actual.Select(v => (double)v).ToArray(), atol, rtol, what);

    /// <summary>Compares a float32 tensor with expected values and shape.</summary>
    public static void Close(IReadOnlyList<double> expected, long[] expectedShape, Tensor actual, double atol = 1e-5, double rtol = 1e-5, string? what = null)
    {
        Assert.Equal(expectedShape, actual.shape);
        var values = actual.dtype switch
        {
            ScalarType.Float64 => actual.data<double>(),
            ScalarType.Float32 => actual.data<float>().Select(v => (double)v).ToArray(),
            _ => throw new ArgumentException($"unexpected dtype {actual.dtype}"),
        };
        Close(expected, values, atol, rtol, what);
    }

    public static double[] Values(Tensor t) => t.dtype switch
    {
        ScalarType.Float64 => t.data<double>(),
        ScalarType.Float32 => t.data<float>().Select(v => (double)v).ToArray(),
        ScalarType.Int64 => t.data<long>().Select(v => (double)v).ToArray(),
        ScalarType.Int32 => t.data<int>().Select(v => (double)v).ToArray(),
        ScalarType.Bool => t.data<bool>().Select(v => v ? 1.0 : 0.0).ToArray(),
        _ => throw new ArgumentException($"unexpected dtype {t.dtype}"),
    };
}
