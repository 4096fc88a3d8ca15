namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Result of a permutation test.</summary>
/// <param name="Statistic">Observed test statistic (for the sign-flip test, the mean paired difference).</param>
/// <param name="PValue">Two-sided p-value.</param>
/// <param name="Permutations">Number of permutations evaluated (2^n when exact).</param>
/// <param name="IsExact">True when every permutation was enumerated.</param>
public sealed record PermutationTestResult(double Statistic, double PValue, long Permutations, bool IsExact);
