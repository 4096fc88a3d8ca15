using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>Validated row-major n × d feature matrix with integer class labels 0..K−1.</summary>
internal sealed class DesignMatrix
{
    private DesignMatrix(double[] values, int rows, int columns, int[] labels, int classCount)
    {
        Values = values;
        Rows = rows;
        Columns = columns;
        Labels = labels;
        ClassCount = classCount;
    }

    public double[] Values { get; }

    public int Rows { get; }

    public int Columns { get; }

    public int[] Labels { get; }

    public int ClassCount { get; }

    public static DesignMatrix FromJagged(double[][] features, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length == 0)
        {
            throw new ArgumentException("At least one sample is required.", nameof(features));
        }

        int d = features[0]?.Length ?? throw new ArgumentException("Row 0 is null.", nameof(features));
        var values = new double[features.Length * d];
        for (int i = 0; i < features.Length; i++)
        {
            double[] row = features[i] ?? throw new ArgumentException($"Row {i} is null.", nameof(features));
            if (row.Length != d)
            {
                throw new ArgumentException($"Row {i} has {row.Length} values but row 0 has {d}; all rows must have the same length.", nameof(features));
            }

            row.CopyTo(values, i * d);
        }

        return FromRowMajor(values, d, labels, nameof(features));
    }

    public static DesignMatrix FromRowMajor(ReadOnlySpan<double> rowMajor, int columns, ReadOnlySpan<int> labels, string paramName = "features")
    {
        InputGuard.AtLeast(columns, 1, nameof(columns));
        if (rowMajor.IsEmpty || rowMajor.Length % columns != 0)
        {
            throw new ArgumentException($"Row-major data of length {rowMajor.Length} is not a non-empty multiple of {columns} columns.", paramName);
        }

        InputGuard.AllFinite(rowMajor, paramName);
        int rows = rowMajor.Length / columns;
        InputGuard.SameLength(rows, labels.Length, nameof(labels));
        int classCount = ClassCountOf(labels);
        return new DesignMatrix(rowMajor.ToArray(), rows, columns, labels.ToArray(), classCount);
    }

    /// <summary>Rows selected by <paramref name="indices"/>, in that order.</summary>
    public DesignMatrix Subset(IReadOnlyList<int> indices)
    {
        var values = new double[indices.Count * Columns];
        var labels = new int[indices.Count];
        for (int k = 0; k < indices.Count; k++)
        {
            Array.Copy(Values, indices[k] * Columns, values, k * Columns, Columns);
            labels[k] = Labels[indices[k]];
        }

        return new DesignMatrix(values, indices.Count, Columns, labels, ClassCountOf(labels));
    }

    public ReadOnlySpan<double> Row(int i) => Values.AsSpan(i * Columns, Columns);

    private static int ClassCountOf(ReadOnlySpan<int> labels)
    {
        int max = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"Label at index {i} is {labels[i]}; labels must be class indices 0..K−1.", nameof(labels));
            }

            max = Math.Max(max, labels[i]);
        }

        int classCount = max + 1;
        if (classCount < 2)
        {
            throw new ArgumentException("At least two classes (labels 0 and 1) are required.", nameof(labels));
        }

        var present = new bool[classCount];
        foreach (int label in labels)
        {
            present[label] = true;
        }

        for (int c = 0; c < classCount; c++)
        {
            if (!present[c])
            {
                throw new ArgumentException($"Class {c} has no samples; labels must cover every class 0..{classCount - 1}.", nameof(labels));
            }
        }

        return classCount;
    }
}
