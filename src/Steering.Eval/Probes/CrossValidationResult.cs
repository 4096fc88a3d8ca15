namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>Per-fold test accuracies of a cross-validated classifier.</summary>
/// <param name="FoldAccuracies">Held-out accuracy of each fold, in fold order.</param>
/// <param name="MeanAccuracy">Mean of the fold accuracies.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1 denominator) of the fold accuracies.</param>
public sealed record CrossValidationResult(IReadOnlyList<double> FoldAccuracies, double MeanAccuracy, double StandardDeviation);
