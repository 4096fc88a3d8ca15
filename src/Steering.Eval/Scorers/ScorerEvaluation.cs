using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>How well a scorer classifies held-out labelled data.</summary>
/// <remarks>
/// <see cref="Confusion"/>[t][p] counts examples of true class t classified as p. Per-class accuracy is the recall of
/// each class, Confusion[t][t] / Σ_p Confusion[t][p]; it is NaN for a class with no held-out examples. The interval on
/// <see cref="Accuracy"/> is the Wilson score interval (binomial, no continuity correction).
/// </remarks>
public sealed class ScorerEvaluation
{
    private readonly int[][] _confusion;

    private ScorerEvaluation(IReadOnlyList<string> classes, int[][] confusion, int count, int correct, double level)
    {
        Classes = classes;
        _confusion = confusion;
        Count = count;
        Correct = correct;
        Accuracy = (double)correct / count;
        PerClassCount = confusion.Select(row => row.Sum()).ToArray();
        PerClassAccuracy = Enumerable.Range(0, classes.Count)
            .Select(t => PerClassCount[t] == 0 ? double.NaN : (double)confusion[t][t] / PerClassCount[t])
            .ToArray();
        AccuracyInterval = Wilson(correct, count, level);
    }

    /// <summary>Class names, indexing the rows and columns of <see cref="Confusion"/>.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Number of held-out examples.</summary>
    public int Count { get; }

    /// <summary>Number classified correctly.</summary>
    public int Correct { get; }

    /// <summary>Correct / Count.</summary>
    public double Accuracy { get; }

    /// <summary>Wilson score interval of <see cref="Accuracy"/> (95% unless another level was asked for).</summary>
    public ConfidenceInterval AccuracyInterval { get; }

    /// <summary>Recall of each class (NaN when the class has no held-out examples).</summary>
    public IReadOnlyList<double> PerClassAccuracy { get; }

    /// <summary>Held-out examples per true class.</summary>
    public IReadOnlyList<int> PerClassCount { get; }

    /// <summary>Copy of the confusion matrix: rows are true classes, columns predicted classes.</summary>
    public int[][] Confusion => _confusion.Select(r => (int[])r.Clone()).ToArray();

    /// <summary>Mean of the per-class accuracies over classes that have examples (balanced accuracy).</summary>
    public double BalancedAccuracy => PerClassAccuracy.Where(a => !double.IsNaN(a)).Average();

    /// <summary>Accuracy of one class by name (unknown names throw).</summary>
    /// <param name="className">A class name.</param>
    public double AccuracyOf(string className)
    {
        for (int k = 0; k < Classes.Count; k++)
        {
            if (string.Equals(Classes[k], className, StringComparison.Ordinal))
            {
                return PerClassAccuracy[k];
            }
        }

        throw new ArgumentException($"Unknown class '{className}'; the classes are: {string.Join(", ", Classes.Select(c => $"'{c}'"))}.", nameof(className));
    }

    /// <summary>Builds the evaluation from predicted and true class indices.</summary>
    /// <param name="classes">Class names (at least two).</param>
    /// <param name="predicted">Predicted class per example.</param>
    /// <param name="truth">True class per example (same length, at least one).</param>
    /// <param name="level">Confidence level of <see cref="AccuracyInterval"/>.</param>
    public static ScorerEvaluation FromPredictions(IReadOnlyList<string> classes, IReadOnlyList<int> predicted, IReadOnlyList<int> truth, double level = 0.95)
    {
        string[] names = ScorerMath.ValidateClasses(classes, nameof(classes));
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        InputGuard.SameLength(truth.Count, predicted.Count, nameof(predicted));
        InputGuard.ConfidenceLevel(level, nameof(level));
        if (truth.Count == 0)
        {
            throw new ArgumentException("At least one held-out example is required.", nameof(truth));
        }

        int k = names.Length;
        var confusion = new int[k][];
        for (int t = 0; t < k; t++)
        {
            confusion[t] = new int[k];
        }

        int correct = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            if ((uint)truth[i] >= (uint)k)
            {
                throw new ArgumentException($"True class {truth[i]} of example {i} is outside 0..{k - 1}.", nameof(truth));
            }

            if ((uint)predicted[i] >= (uint)k)
            {
                throw new ArgumentException($"Predicted class {predicted[i]} of example {i} is outside 0..{k - 1}.", nameof(predicted));
            }

            confusion[truth[i]][predicted[i]]++;
            correct += truth[i] == predicted[i] ? 1 : 0;
        }

        return new ScorerEvaluation(names, confusion, truth.Count, correct, level);
    }

    /// <summary>Wilson score interval for a binomial proportion x / n.</summary>
    internal static ConfidenceInterval Wilson(int successes, int n, double level)
    {
        double z = MathNet.Numerics.Distributions.Normal.InvCDF(0.0, 1.0, 0.5 + (level / 2.0));
        double p = (double)successes / n;
        double z2 = z * z;
        double denominator = 1.0 + (z2 / n);
        double center = (p + (z2 / (2.0 * n))) / denominator;
        double half = z * Math.Sqrt((p * (1.0 - p) / n) + (z2 / (4.0 * n * n))) / denominator;
        return new ConfidenceInterval(p, Math.Max(0.0, center - half), Math.Min(1.0, center + half), level);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"accuracy {Accuracy:0.000} [{AccuracyInterval.Lower:0.000}, {AccuracyInterval.Upper:0.000}] on {Count} examples; per class: " +
        string.Join(", ", Classes.Select((c, k) => $"{c} {PerClassAccuracy[k]:0.000} (n={PerClassCount[k]})"));
}
