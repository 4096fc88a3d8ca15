namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>Evaluates a smooth objective at <c>x</c>, writing its gradient into <c>gradient</c>.</summary>
internal delegate double DifferentiableFunction(ReadOnlySpan<double> x, Span<double> gradient);

/// <summary>Outcome of <see cref="Lbfgs.Minimize"/>.</summary>
internal readonly record struct LbfgsResult(double[] X, double Value, double GradientInfNorm, int Iterations, bool Converged);

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Alg. 7.4/7.5) with a backtracking Armijo line search using safeguarded
/// quadratic interpolation. Fully deterministic: no randomness, fixed operation order.
/// </summary>
internal static class Lbfgs
{
    private const double ArmijoC1 = 1e-4;
    private const int MaxLineSearchSteps = 60;

    public static LbfgsResult Minimize(DifferentiableFunction function, double[] start, int history, int maxIterations, double gradientTolerance)
    {
        int dim = start.Length;
        var x = (double[])start.Clone();
        var g = new double[dim];
        double f = function(x, g);
        var xNew = new double[dim];
        var gNew = new double[dim];
        var direction = new double[dim];
        var s = new double[history][];
        var y = new double[history][];
        var rho = new double[history];
        var alpha = new double[history];
        for (int k = 0; k < history; k++)
        {
            s[k] = new double[dim];
            y[k] = new double[dim];
        }

        int stored = 0;
        int head = 0; // index of the next slot to write
        double gNorm = InfNorm(g);
        int iteration = 0;
        while (gNorm > gradientTolerance && iteration < maxIterations)
        {
            iteration++;

            // Two-loop recursion: direction = −H·g.
            Array.Copy(g, direction, dim);
            for (int k = 0; k < stored; k++)
            {
                int idx = Mod(head - 1 - k, history);
                alpha[idx] = rho[idx] * Dot(s[idx], direction);
                Axpy(-alpha[idx], y[idx], direction);
            }

            if (stored > 0)
            {
                int last = Mod(head - 1, history);
                double gamma = Dot(s[last], y[last]) / Dot(y[last], y[last]);
                Scale(direction, gamma);
            }

            for (int k = stored - 1; k >= 0; k--)
            {
                int idx = Mod(head - 1 - k, history);
                double beta = rho[idx] * Dot(y[idx], direction);
                Axpy(alpha[idx] - beta, s[idx], direction);
            }

            Scale(direction, -1.0);
            double slope = Dot(g, direction);
            if (!(slope < 0))
            {
                // Not a descent direction (numerical breakdown): restart from steepest descent.
                stored = 0;
                Array.Copy(g, direction, dim);
                Scale(direction, -1.0);
                slope = Dot(g, direction);
            }

            double step = stored == 0 ? Math.Min(1.0, 1.0 / Math.Max(Norm2(g), 1e-300)) : 1.0;
            double fNew = double.NaN;
            bool accepted = false;
            for (int ls = 0; ls < MaxLineSearchSteps; ls++)
            {
                for (int i = 0; i < dim; i++)
                {
                    xNew[i] = x[i] + (step * direction[i]);
                }

                fNew = function(xNew, gNew);
                if (double.IsFinite(fNew) && fNew <= f + (ArmijoC1 * step * slope))
                {
                    accepted = true;
                    break;
                }

                double next = double.IsFinite(fNew)
                    ? -slope * step * step / (2.0 * (fNew - f - (slope * step)))
                    : 0.1 * step;
                step = Math.Clamp(next, 0.1 * step, 0.5 * step);
            }

            if (!accepted)
            {
                break; // no further decrease achievable at machine precision
            }

            double sy = 0;
            double yy = 0;
            for (int i = 0; i < dim; i++)
            {
                double si = xNew[i] - x[i];
                double yi = gNew[i] - g[i];
                sy += si * yi;
                yy += yi * yi;
            }

            if (sy > 1e-16 * yy && sy > 0)
            {
                // Curvature condition holds: store the pair (skipping keeps the inverse-Hessian model positive definite).
                int slot = head;
                for (int i = 0; i < dim; i++)
                {
                    s[slot][i] = xNew[i] - x[i];
                    y[slot][i] = gNew[i] - g[i];
                }

                rho[slot] = 1.0 / sy;
                head = (head + 1) % history;
                stored = Math.Min(stored + 1, history);
            }

            (x, xNew) = (xNew, x);
            (g, gNew) = (gNew, g);
            f = fNew;
            gNorm = InfNorm(g);
        }

        return new LbfgsResult(x, f, gNorm, iteration, gNorm <= gradientTolerance);
    }

    private static int Mod(int a, int m) => ((a % m) + m) % m;

    private static double Dot(double[] a, double[] b) => VectorOps.Dot(a, b);

    private static void Axpy(double a, double[] x, double[] y) => VectorOps.Axpy(a, x, y);

    private static void Scale(double[] x, double a)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= a;
        }
    }

    private static double InfNorm(double[] x)
    {
        double max = 0;
        foreach (double v in x)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }

    private static double Norm2(double[] x) => Math.Sqrt(Dot(x, x));
}
