namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Output of <see cref="ContrastiveFeatureSelection"/>; every list is ordered by decreasing |d|.</summary>
/// <param name="Tested">All tested candidates (top M by |d|), significant or not.</param>
/// <param name="KeptPositive">Significant features with d &gt; 0 (at most KeepPerDirection).</param>
/// <param name="KeptNegative">Significant features with d &lt; 0 (at most KeepPerDirection).</param>
/// <param name="SteeringPositive">Leading SteerPerDirection entries of <paramref name="KeptPositive"/>.</param>
/// <param name="SteeringNegative">Leading SteerPerDirection entries of <paramref name="KeptNegative"/>.</param>
public sealed record ContrastiveSelectionResult(
    IReadOnlyList<ContrastiveFeature> Tested,
    IReadOnlyList<ContrastiveFeature> KeptPositive,
    IReadOnlyList<ContrastiveFeature> KeptNegative,
    IReadOnlyList<ContrastiveFeature> SteeringPositive,
    IReadOnlyList<ContrastiveFeature> SteeringNegative)
{
    /// <summary>Bonferroni family size (number of tested features).</summary>
    public int TestCount => Tested.Count;
}
