using System.Runtime.InteropServices;

namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// Stage 2 input of the contrastive selection: raw values of a few candidate features per class, extracted from
/// full-width row-major batches (n × F) so that only M columns are ever stored.
/// </summary>
public sealed class ContrastiveSampleBuffer
{
    private readonly int[] _features;
    private readonly List<double>[] _a;
    private readonly List<double>[] _b;

    /// <summary>Creates a buffer for the given candidate features.</summary>
    /// <param name="features">Distinct feature indices in [0, <paramref name="featureCount"/>).</param>
    /// <param name="featureCount">Width F of the batches that will be added.</param>
    public ContrastiveSampleBuffer(IReadOnlyList<int> features, int featureCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        InputGuard.AtLeast(featureCount, 1, nameof(featureCount));
        if (features.Count == 0)
        {
            throw new ArgumentException("At least one candidate feature is required.", nameof(features));
        }

        var seen = new HashSet<int>();
        foreach (int f in features)
        {
            if ((uint)f >= (uint)featureCount)
            {
                throw new ArgumentException($"Feature index {f} is outside [0, {featureCount}).", nameof(features));
            }

            if (!seen.Add(f))
            {
                throw new ArgumentException($"Feature index {f} appears more than once.", nameof(features));
            }
        }

        _features = features.ToArray();
        FeatureCount = featureCount;
        _a = NewLists(_features.Length);
        _b = NewLists(_features.Length);
    }

    /// <summary>Candidate feature indices, in the order used by <see cref="Samples"/>.</summary>
    public IReadOnlyList<int> Features => _features;

    /// <summary>Width F of the accepted batches.</summary>
    public int FeatureCount { get; }

    /// <summary>Rows added so far for <paramref name="cls"/>.</summary>
    /// <param name="cls">Class.</param>
    public int RowCount(ContrastiveClass cls) => Lists(cls)[0].Count;

    /// <summary>Adds a row-major n × F batch of class <paramref name="cls"/>, keeping only candidate columns.</summary>
    /// <param name="cls">Class the rows belong to.</param>
    /// <param name="batch">Row-major values; length a multiple of F; all finite.</param>
    public void AddBatch(ContrastiveClass cls, ReadOnlySpan<double> batch)
    {
        int rows = RowsIn(batch.Length, nameof(batch));
        InputGuard.AllFinite(batch, nameof(batch));
        List<double>[] lists = Lists(cls);
        for (int r = 0; r < rows; r++)
        {
            int offset = r * FeatureCount;
            for (int k = 0; k < _features.Length; k++)
            {
                lists[k].Add(batch[offset + _features[k]]);
            }
        }
    }

    /// <summary>Adds a row-major n × F single-precision batch of class <paramref name="cls"/>.</summary>
    /// <param name="cls">Class the rows belong to.</param>
    /// <param name="batch">Row-major values; length a multiple of F; all finite.</param>
    public void AddBatch(ContrastiveClass cls, ReadOnlySpan<float> batch)
    {
        int rows = RowsIn(batch.Length, nameof(batch));
        InputGuard.AllFinite(batch, nameof(batch));
        List<double>[] lists = Lists(cls);
        for (int r = 0; r < rows; r++)
        {
            int offset = r * FeatureCount;
            for (int k = 0; k < _features.Length; k++)
            {
                lists[k].Add(batch[offset + _features[k]]);
            }
        }
    }

    /// <summary>Raw values of the candidate at <paramref name="candidatePosition"/> for <paramref name="cls"/>.</summary>
    /// <param name="cls">Class.</param>
    /// <param name="candidatePosition">Index into <see cref="Features"/>.</param>
    public ReadOnlySpan<double> Samples(ContrastiveClass cls, int candidatePosition)
    {
        if ((uint)candidatePosition >= (uint)_features.Length)
        {
            throw new ArgumentException($"Candidate position {candidatePosition} is outside [0, {_features.Length}).", nameof(candidatePosition));
        }

        return CollectionsMarshal.AsSpan(Lists(cls)[candidatePosition]);
    }

    private List<double>[] Lists(ContrastiveClass cls) => cls switch
    {
        ContrastiveClass.A => _a,
        ContrastiveClass.B => _b,
        _ => throw new ArgumentException($"Unknown class {cls}.", nameof(cls)),
    };

    private int RowsIn(int length, string paramName)
    {
        if (length % FeatureCount != 0)
        {
            throw new ArgumentException(
                $"Batch length {length} is not a multiple of the feature count {FeatureCount}; expected row-major n × {FeatureCount} values.",
                paramName);
        }

        return length / FeatureCount;
    }

    private static List<double>[] NewLists(int count)
    {
        var lists = new List<double>[count];
        for (int i = 0; i < count; i++)
        {
            lists[i] = [];
        }

        return lists;
    }
}
