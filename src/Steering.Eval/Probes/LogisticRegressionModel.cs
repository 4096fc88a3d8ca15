using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>A fitted (multinomial) logistic-regression classifier over classes 0..K−1.</summary>
/// <remarks>
/// Coefficients are stored on the original feature scale (any standardisation is folded in). Binary models have a single
/// logit row: log-odds of class 1 versus class 0. Multiclass models have one softmax logit row per class.
/// </remarks>
public sealed class LogisticRegressionModel
{
    private readonly double[][] _weights;
    private readonly double[] _intercepts;

    internal LogisticRegressionModel(
        double[][] weights, double[] intercepts, int classCount, int featureCount,
        double objectiveValue, double gradientNorm, int iterations, bool converged)
    {
        _weights = weights;
        _intercepts = intercepts;
        ClassCount = classCount;
        FeatureCount = featureCount;
        ObjectiveValue = objectiveValue;
        GradientNorm = gradientNorm;
        Iterations = iterations;
        Converged = converged;
    }

    /// <summary>Number of classes K (at least 2).</summary>
    public int ClassCount { get; }

    /// <summary>Number of input features d.</summary>
    public int FeatureCount { get; }

    /// <summary>Penalised training objective at the solution (on the scale the optimiser saw).</summary>
    public double ObjectiveValue { get; }

    /// <summary>Largest absolute gradient component at the solution.</summary>
    public double GradientNorm { get; }

    /// <summary>L-BFGS iterations used.</summary>
    public int Iterations { get; }

    /// <summary>Whether the gradient tolerance was reached.</summary>
    public bool Converged { get; }

    /// <summary>Copy of the coefficient rows: one row (class 1 vs 0) for binary models, K rows for multiclass.</summary>
    public double[][] GetCoefficients() => _weights.Select(w => (double[])w.Clone()).ToArray();

    /// <summary>Copy of the intercepts, one per coefficient row.</summary>
    public double[] GetIntercepts() => (double[])_intercepts.Clone();

    /// <summary>Class probabilities for one sample (length K, summing to 1).</summary>
    /// <param name="features">d finite feature values.</param>
    public double[] PredictProba(ReadOnlySpan<double> features)
    {
        InputGuard.SameLength(FeatureCount, features.Length, nameof(features));
        InputGuard.AllFinite(features, nameof(features));
        var probabilities = new double[ClassCount];
        WriteProbabilities(features, probabilities);
        return probabilities;
    }

    /// <summary>Class probabilities for each row.</summary>
    /// <param name="features">Rows of d finite values.</param>
    public double[][] PredictProba(double[][] features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var result = new double[features.Length][];
        for (int i = 0; i < features.Length; i++)
        {
            result[i] = PredictProba(features[i] ?? throw new ArgumentException($"Row {i} is null.", nameof(features)));
        }

        return result;
    }

    /// <summary>Class probabilities for a row-major n × d block, returned row-major n × K.</summary>
    /// <param name="rowMajor">n·d finite values.</param>
    public double[] PredictProbaBatch(ReadOnlySpan<double> rowMajor)
    {
        if (rowMajor.Length % FeatureCount != 0)
        {
            throw new ArgumentException($"Length {rowMajor.Length} is not a multiple of the feature count {FeatureCount}.", nameof(rowMajor));
        }

        InputGuard.AllFinite(rowMajor, nameof(rowMajor));
        int rows = rowMajor.Length / FeatureCount;
        var result = new double[rows * ClassCount];
        for (int i = 0; i < rows; i++)
        {
            WriteProbabilities(rowMajor.Slice(i * FeatureCount, FeatureCount), result.AsSpan(i * ClassCount, ClassCount));
        }

        return result;
    }

    /// <summary>Most probable class (lowest index on ties).</summary>
    /// <param name="features">d finite feature values.</param>
    public int Predict(ReadOnlySpan<double> features) => ArgMax(PredictProba(features));

    /// <summary>Most probable class for each row.</summary>
    /// <param name="features">Rows of d finite values.</param>
    public int[] Predict(double[][] features) => PredictProba(features).Select(ArgMax).ToArray();

    /// <summary>Fraction of rows whose predicted class equals the label.</summary>
    /// <param name="features">Rows of d finite values.</param>
    /// <param name="labels">True classes, one per row.</param>
    public double Accuracy(double[][] features, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        InputGuard.SameLength(features.Length, labels.Length, nameof(labels));
        if (features.Length == 0)
        {
            throw new ArgumentException("At least one sample is required.", nameof(features));
        }

        int[] predicted = Predict(features);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            correct += predicted[i] == labels[i] ? 1 : 0;
        }

        return (double)correct / predicted.Length;
    }

    internal double Accuracy(DesignMatrix data)
    {
        Span<double> probabilities = stackalloc double[ClassCount];
        int correct = 0;
        for (int i = 0; i < data.Rows; i++)
        {
            WriteProbabilities(data.Row(i), probabilities);
            correct += ArgMax(probabilities) == data.Labels[i] ? 1 : 0;
        }

        return (double)correct / data.Rows;
    }

    private void WriteProbabilities(ReadOnlySpan<double> x, Span<double> probabilities)
    {
        if (_weights.Length == 1)
        {
            double p1 = LogisticObjective.Sigmoid(Logit(0, x));
            probabilities[0] = 1.0 - p1;
            probabilities[1] = p1;
            return;
        }

        double max = double.NegativeInfinity;
        for (int k = 0; k < _weights.Length; k++)
        {
            probabilities[k] = Logit(k, x);
            max = Math.Max(max, probabilities[k]);
        }

        double sum = 0;
        for (int k = 0; k < _weights.Length; k++)
        {
            probabilities[k] = Math.Exp(probabilities[k] - max);
            sum += probabilities[k];
        }

        for (int k = 0; k < _weights.Length; k++)
        {
            probabilities[k] /= sum;
        }
    }

    private double Logit(int row, ReadOnlySpan<double> x)
    {
        double[] w = _weights[row];
        double z = _intercepts[row];
        for (int j = 0; j < w.Length; j++)
        {
            z += w[j] * x[j];
        }

        return z;
    }

    private static int ArgMax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
            {
                best = k;
            }
        }

        return best;
    }

    private static int ArgMax(double[] values) => ArgMax((ReadOnlySpan<double>)values);
}
