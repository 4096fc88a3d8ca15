namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>One train/test partition of a K-fold split; index lists are ascending.</summary>
/// <param name="Fold">Zero-based fold number (the fold held out for testing).</param>
/// <param name="TrainIndices">Sample indices used for training.</param>
/// <param name="TestIndices">Sample indices held out.</param>
public sealed record FoldSplit(int Fold, IReadOnlyList<int> TrainIndices, IReadOnlyList<int> TestIndices);
