namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// Base class of the attribute scorers: derived classes supply <see cref="Classes"/> and <see cref="PredictCore"/>; the
/// batch overloads, class look-up, classification and held-out evaluation are shared.
/// </summary>
public abstract class AttributeScorer : IAttributeScorer
{
    private Dictionary<string, int>? _index;

    /// <inheritdoc />
    public abstract IReadOnlyList<string> Classes { get; }

    /// <inheritdoc />
    public double[] Predict(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PredictCore(text);
    }

    /// <inheritdoc />
    public virtual double[][] Predict(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new List<double[]>();
        int i = 0;
        foreach (string? text in texts)
        {
            result.Add(PredictCore(text ?? throw new ArgumentException($"Text {i} is null.", nameof(texts))));
            i++;
        }

        return result.ToArray();
    }

    /// <inheritdoc />
    public int Classify(string text) => ScorerMath.ArgMax(Predict(text));

    /// <inheritdoc />
    public int[] Classify(IEnumerable<string> texts) => Predict(texts).Select(ScorerMath.ArgMax).ToArray();

    /// <inheritdoc />
    public double ProbabilityOf(string text, string className)
    {
        int k = IndexOf(className);
        return Predict(text)[k];
    }

    /// <inheritdoc />
    public int IndexOf(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        _index ??= BuildIndex(Classes);
        if (!_index.TryGetValue(className, out int k))
        {
            throw new ArgumentException(
                $"Unknown class '{className}'; this scorer's classes are: {string.Join(", ", Classes.Select(c => $"'{c}'"))}.", nameof(className));
        }

        return k;
    }

    /// <inheritdoc />
    public ScorerEvaluation Evaluate(IEnumerable<(string text, string label)> heldOut)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        var texts = new List<string>();
        var truth = new List<int>();
        foreach ((string text, string label) in heldOut)
        {
            int i = texts.Count;
            texts.Add(text ?? throw new ArgumentException($"Held-out text {i} is null.", nameof(heldOut)));
            truth.Add(LabelIndex(label, i, nameof(heldOut)));
        }

        if (texts.Count == 0)
        {
            throw new ArgumentException("At least one held-out example is required.", nameof(heldOut));
        }

        return ScorerEvaluation.FromPredictions(Classes, Classify(texts), truth);
    }

    /// <summary>Class probabilities for a non-null text; must return a fresh array of length <see cref="Classes"/>.Count summing to 1.</summary>
    /// <param name="text">The text.</param>
    protected abstract double[] PredictCore(string text);

    /// <summary>Index of a held-out label, with an error naming the example and the label when it is unknown.</summary>
    /// <param name="label">The label.</param>
    /// <param name="example">Position of the example.</param>
    /// <param name="paramName">Argument name for the error.</param>
    protected int LabelIndex(string label, int example, string paramName)
    {
        if (label is null)
        {
            throw new ArgumentException($"Label of example {example} is null.", paramName);
        }

        _index ??= BuildIndex(Classes);
        if (!_index.TryGetValue(label, out int k))
        {
            throw new ArgumentException(
                $"Example {example} has label '{label}', which is not one of this scorer's classes ({string.Join(", ", Classes.Select(c => $"'{c}'"))}).",
                paramName);
        }

        return k;
    }

    private static Dictionary<string, int> BuildIndex(IReadOnlyList<string> classes)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < classes.Count; k++)
        {
            index.Add(classes[k], k);
        }

        return index;
    }
}
