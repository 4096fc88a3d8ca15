using DiffusionSteering.Steering.Eval.Probes;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Probes;

public class LogisticRegressionTests
{
    private static readonly LogisticRegressionOptions Raw = new() { Standardize = false, GradientTolerance = 1e-11 };

    private static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    [Fact]
    public void Binary_RecoversKnownWeights_AndReachesBayesAccuracy()
    {
        double[] trueW = [2.0, -1.0, 0.5];
        const double trueB = 0.3;
        var rng = new Xoshiro256StarStar(100);
        const int n = 6000;
        var x = new double[n][];
        var y = new int[n];
        int bayesCorrect = 0;
        for (int i = 0; i < n; i++)
        {
            x[i] = [rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian()];
            double z = trueB + (trueW[0] * x[i][0]) + (trueW[1] * x[i][1]) + (trueW[2] * x[i][2]);
            y[i] = rng.NextDouble() < Sigmoid(z) ? 1 : 0;
            bayesCorrect += (z > 0 ? 1 : 0) == y[i] ? 1 : 0;
        }

        LogisticRegressionModel model = LogisticRegression.Fit(x, y, Raw with { L2Penalty = 1e-5 });
        Assert.True(model.Converged);
        double[] w = model.GetCoefficients().Single();
        double cosine = w.Zip(trueW, (p, q) => p * q).Sum() / (Norm(w) * Norm(trueW));
        Assert.True(cosine > 0.995, $"cosine {cosine}");
        Assert.Equal(Norm(trueW), Norm(w), 0.25);
        Assert.Equal(trueB, model.GetIntercepts().Single(), 0.15);
        Assert.Equal(bayesCorrect / (double)n, model.Accuracy(x, y), 0.01);
    }

    [Fact]
    public void NoIntercept_NoPenalty_MatchesClosedForm()
    {
        // x = +1 with y = 1 (×3) and y = 0 (×1); x = −1 with y = 0 (×3) and y = 1 (×1).
        // The score equation reduces to σ(w) = 3/4, so w = ln 3 exactly.
        double[][] x = [[1], [1], [1], [1], [-1], [-1], [-1], [-1]];
        int[] y = [1, 1, 1, 0, 0, 0, 0, 1];
        LogisticRegressionModel model = LogisticRegression.Fit(x, y, Raw with { L2Penalty = 0, FitIntercept = false });
        Assert.True(model.Converged);
        Assert.Equal(Math.Log(3.0), model.GetCoefficients()[0][0], 9);
        Assert.Equal(0.0, model.GetIntercepts()[0]);
        Assert.Equal(0.75, model.PredictProba([1.0])[1], 9);
    }

    [Fact]
    public void OneDimensional_WithL2_MatchesIndependentNewtonSolution()
    {
        var rng = new Xoshiro256StarStar(7);
        const int n = 300;
        var xs = new double[n];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            xs[i] = (3.0 * rng.NextGaussian()) + 1.0;
            y[i] = rng.NextDouble() < Sigmoid((0.8 * xs[i]) - 0.5) ? 1 : 0;
        }

        const double lambda = 0.05;
        (double w, double b) = NewtonOneDimensional(xs, y, lambda);

        LogisticRegressionModel model = LogisticRegression.Fit(xs.Select(v => new[] { v }).ToArray(), y, Raw with { L2Penalty = lambda });
        Assert.True(model.Converged);
        Assert.Equal(w, model.GetCoefficients()[0][0], 1e-8);
        Assert.Equal(b, model.GetIntercepts()[0], 1e-8);

        // With standardisation the penalty acts on the standardised slope; the reported slope is mapped back.
        double mean = xs.Average();
        double sd = Math.Sqrt(xs.Select(v => (v - mean) * (v - mean)).Sum() / n);
        double[] zs = xs.Select(v => (v - mean) / sd).ToArray();
        (double ws, double bs) = NewtonOneDimensional(zs, y, lambda);
        LogisticRegressionModel standardized = LogisticRegression.Fit(
            xs.Select(v => new[] { v }).ToArray(), y, Raw with { L2Penalty = lambda, Standardize = true });
        Assert.Equal(ws / sd, standardized.GetCoefficients()[0][0], 1e-8);
        Assert.Equal(bs - (ws * mean / sd), standardized.GetIntercepts()[0], 1e-8);
    }

    [Fact]
    public void Multiclass_SatisfiesStationarityConditions_AndClassifiesBlobs()
    {
        (double[][] x, int[] y) = Blobs(900, 3, 11, spread: 0.8);
        const double lambda = 1e-3;
        LogisticRegressionModel model = LogisticRegression.Fit(x, y, Raw with { L2Penalty = lambda });
        Assert.Equal(3, model.ClassCount);
        Assert.True(model.Converged);
        Assert.True(model.Accuracy(x, y) > 0.95);

        // ∂/∂w_k: (1/n)Σ(p_ik − 1[y_i = k]) x_i + λ w_k = 0 and ∂/∂b_k: (1/n)Σ(p_ik − 1[y_i = k]) = 0.
        double[][] p = model.PredictProba(x);
        double[][] w = model.GetCoefficients();
        for (int k = 0; k < 3; k++)
        {
            double gb = 0;
            var gw = new double[2];
            for (int i = 0; i < x.Length; i++)
            {
                double r = p[i][k] - (y[i] == k ? 1 : 0);
                gb += r / x.Length;
                gw[0] += r * x[i][0] / x.Length;
                gw[1] += r * x[i][1] / x.Length;
            }

            Assert.Equal(0.0, gb, 1e-8);
            Assert.Equal(0.0, gw[0] + (lambda * w[k][0]), 1e-8);
            Assert.Equal(0.0, gw[1] + (lambda * w[k][1]), 1e-8);
        }

        foreach (double[] row in p)
        {
            Assert.Equal(1.0, row.Sum(), 12);
        }
    }

    [Fact]
    public void Separable_WithL2_ConvergesToFiniteWeights()
    {
        double[][] x = [[-2, 0], [-1, 1], [-1.5, -1], [1, 0.5], [2, -0.5], [1.2, 1]];
        int[] y = [0, 0, 0, 1, 1, 1];
        LogisticRegressionModel model = LogisticRegression.Fit(x, y, new LogisticRegressionOptions { L2Penalty = 1e-2 });
        Assert.True(model.Converged);
        Assert.Equal(1.0, model.Accuracy(x, y));
        Assert.All(model.GetCoefficients()[0], v => Assert.True(double.IsFinite(v) && Math.Abs(v) < 100));
    }

    [Fact]
    public void Standardize_MakesPredictionsInvariantToFeatureRescaling()
    {
        (double[][] x, int[] y) = Blobs(300, 2, 5, spread: 1.5);
        double[][] rescaled = x.Select(r => new[] { (1000.0 * r[0]) + 5e4, (0.001 * r[1]) - 3.0 }).ToArray();
        var options = new LogisticRegressionOptions { L2Penalty = 0.1, GradientTolerance = 1e-10 };
        double[][] p1 = LogisticRegression.Fit(x, y, options).PredictProba(x);
        double[][] p2 = LogisticRegression.Fit(rescaled, y, options).PredictProba(rescaled);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(p1[i][1], p2[i][1], 1e-7);
        }
    }

    [Fact]
    public void RowMajorOverload_MatchesJagged_AndPredictBatchMatchesPerRow()
    {
        (double[][] x, int[] y) = Blobs(200, 3, 6, spread: 1.0);
        double[] flat = x.SelectMany(r => r).ToArray();
        LogisticRegressionModel jagged = LogisticRegression.Fit(x, y);
        LogisticRegressionModel rowMajor = LogisticRegression.Fit(flat, 2, y);
        double[] batch = rowMajor.PredictProbaBatch(flat);
        for (int i = 0; i < x.Length; i++)
        {
            double[] pi = jagged.PredictProba(x[i]);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(pi[k], batch[(i * 3) + k], 12);
            }
        }

        Assert.Equal(jagged.Predict(x), rowMajor.Predict(x));
    }

    [Fact]
    public void BadInput_Throws()
    {
        double[][] x = [[1, 2], [3, 4], [5, 6]];
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, [0, 1]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([[1, 2], [3]], [0, 1]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([[1, double.NaN], [3, 4]], [0, 1]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, [0, 0, 0]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, [0, 2, 2])); // class 1 missing
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, [0, -1, 1]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([1.0, 2, 3], 2, [0, 1]));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, [0, 1, 1], new LogisticRegressionOptions { L2Penalty = -1 }));
        LogisticRegressionModel model = LogisticRegression.Fit(x, [0, 1, 1]);
        Assert.Throws<ArgumentException>(() => model.PredictProba([1.0]));
        Assert.Throws<ArgumentException>(() => model.PredictProba([1.0, double.NaN]));
    }

    internal static (double[][] X, int[] Y) Blobs(int n, int classes, ulong seed, double spread)
    {
        var rng = new Xoshiro256StarStar(seed);
        var x = new double[n][];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % classes;
            double angle = 2 * Math.PI * c / classes;
            x[i] = [(3 * Math.Cos(angle)) + (spread * rng.NextGaussian()), (3 * Math.Sin(angle)) + (spread * rng.NextGaussian())];
            y[i] = c;
        }

        return (x, y);
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(t => t * t));

    /// <summary>Independent Newton solve of (1/n)Σ[softplus(wx + b) − y(wx + b)] + (λ/2)w² over (w, b).</summary>
    private static (double W, double B) NewtonOneDimensional(double[] x, int[] y, double lambda)
    {
        double w = 0;
        double b = 0;
        int n = x.Length;
        for (int iter = 0; iter < 100; iter++)
        {
            double gw = lambda * w;
            double gb = 0;
            double hww = lambda;
            double hwb = 0;
            double hbb = 0;
            for (int i = 0; i < n; i++)
            {
                double p = Sigmoid((w * x[i]) + b);
                double r = (p - y[i]) / n;
                double s = p * (1 - p) / n;
                gw += r * x[i];
                gb += r;
                hww += s * x[i] * x[i];
                hwb += s * x[i];
                hbb += s;
            }

            double det = (hww * hbb) - (hwb * hwb);
            double dw = ((hbb * gw) - (hwb * gb)) / det;
            double db = ((hww * gb) - (hwb * gw)) / det;
            w -= dw;
            b -= db;
            if (Math.Abs(dw) + Math.Abs(db) < 1e-15)
            {
                break;
            }
        }

        return (w, b);
    }
}
