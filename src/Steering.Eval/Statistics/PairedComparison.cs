namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Paired comparison of two methods evaluated on the same units.</summary>
/// <param name="MeanDifference">Mean of a − b with its paired-bootstrap percentile interval.</param>
/// <param name="PValue">Two-sided sign-flip permutation p-value for "mean difference = 0".</param>
/// <param name="IsExactPValue">True when all 2^n sign patterns were enumerated.</param>
public sealed record PairedComparison(ConfidenceInterval MeanDifference, double PValue, bool IsExactPValue);
