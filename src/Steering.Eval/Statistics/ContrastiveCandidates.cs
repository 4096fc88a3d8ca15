namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// Stage 1 of the contrastive selection: per-feature effect sizes from streaming moments and the top-M features by |d|
/// whose raw values must be collected for stage 2 (see <see cref="CreateSampleBuffer"/>).
/// </summary>
public sealed class ContrastiveCandidates
{
    private readonly int[] _features;
    private readonly double[] _effectSizes;
    private readonly double[] _meansA;
    private readonly double[] _meansB;

    internal ContrastiveCandidates(int[] features, double[] effectSizes, double[] meansA, double[] meansB, long countA, long countB)
    {
        _features = features;
        _effectSizes = effectSizes;
        _meansA = meansA;
        _meansB = meansB;
        CountA = countA;
        CountB = countB;
    }

    /// <summary>Total number of features F.</summary>
    public int FeatureCount => _effectSizes.Length;

    /// <summary>Candidate feature indices, strongest |d| first (ties broken by lower index).</summary>
    public IReadOnlyList<int> Features => _features;

    /// <summary>Cohen's d (A minus B) for every feature 0..F−1.</summary>
    public IReadOnlyList<double> EffectSizes => _effectSizes;

    /// <summary>Per-feature means of class A.</summary>
    public IReadOnlyList<double> MeansA => _meansA;

    /// <summary>Per-feature means of class B.</summary>
    public IReadOnlyList<double> MeansB => _meansB;

    /// <summary>Rows seen for class A in stage 1.</summary>
    public long CountA { get; }

    /// <summary>Rows seen for class B in stage 1.</summary>
    public long CountB { get; }

    /// <summary>Creates an empty buffer that keeps only the candidate features' raw values from full-width batches.</summary>
    public ContrastiveSampleBuffer CreateSampleBuffer() => new(_features, FeatureCount);
}
