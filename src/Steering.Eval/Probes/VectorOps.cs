using System.Numerics;
using System.Runtime.InteropServices;

namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>SIMD dot product and axpy over spans (System.Numerics.Vector), used by the logistic-regression inner loops.</summary>
/// <remarks>Summation order is fixed for a given hardware vector width, so results are reproducible on one machine.</remarks>
internal static class VectorOps
{
    /// <summary>Σ_i x_i·y_i.</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int width = Vector<double>.Count;
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= 2 * width)
        {
            ReadOnlySpan<Vector<double>> vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            ReadOnlySpan<Vector<double>> vy = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
            var acc = Vector<double>.Zero;
            for (int k = 0; k < vx.Length; k++)
            {
                acc += vx[k] * vy[k];
            }

            sum = Vector.Sum(acc);
            i = vx.Length * width;
        }

        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>y ← y + a·x.</summary>
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        int width = Vector<double>.Count;
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= 2 * width)
        {
            ReadOnlySpan<Vector<double>> vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            Span<Vector<double>> vy = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
            var va = new Vector<double>(a);
            for (int k = 0; k < vx.Length; k++)
            {
                vy[k] += va * vx[k];
            }

            i = vx.Length * width;
        }

        for (; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }
}
