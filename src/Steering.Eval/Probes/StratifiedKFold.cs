using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>Seeded stratified K-fold splitting: every fold keeps the class proportions of the full data (within one sample).</summary>
/// <remarks>
/// Indices of each class (classes in ascending label order) are shuffled with <see cref="Xoshiro256StarStar"/> and dealt
/// round-robin to the folds, continuing the rotation across classes so that fold sizes also differ by at most one.
/// </remarks>
public static class StratifiedKFold
{
    /// <summary>Default number of folds (paper b App. C.3 uses 5-fold stratified CV).</summary>
    public const int DefaultFolds = 5;

    /// <summary>Splits samples with the given labels into <paramref name="folds"/> stratified folds.</summary>
    /// <param name="labels">Non-negative class label per sample; every class needs at least <paramref name="folds"/> samples.</param>
    /// <param name="folds">Number of folds K ≥ 2.</param>
    /// <param name="seed">Shuffle seed.</param>
    public static IReadOnlyList<FoldSplit> Split(ReadOnlySpan<int> labels, int folds = DefaultFolds, ulong seed = 0)
    {
        InputGuard.AtLeast(folds, 2, nameof(folds));
        if (labels.IsEmpty)
        {
            throw new ArgumentException("At least one label is required.", nameof(labels));
        }

        var byClass = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"Label at index {i} is {labels[i]}; labels must be non-negative.", nameof(labels));
            }

            if (!byClass.TryGetValue(labels[i], out List<int>? members))
            {
                members = [];
                byClass.Add(labels[i], members);
            }

            members.Add(i);
        }

        foreach ((int label, List<int> members) in byClass)
        {
            if (members.Count < folds)
            {
                throw new ArgumentException(
                    $"Class {label} has {members.Count} samples, fewer than the {folds} folds; every fold's training and test sets could not contain it.",
                    nameof(labels));
            }
        }

        var rng = new Xoshiro256StarStar(seed);
        var foldOf = new int[labels.Length];
        int offset = 0;
        foreach (List<int> members in byClass.Values)
        {
            int[] shuffled = members.ToArray();
            rng.Shuffle<int>(shuffled);
            for (int k = 0; k < shuffled.Length; k++)
            {
                foldOf[shuffled[k]] = (offset + k) % folds;
            }

            offset = (offset + shuffled.Length) % folds;
        }

        var splits = new FoldSplit[folds];
        for (int f = 0; f < folds; f++)
        {
            var train = new List<int>();
            var test = new List<int>();
            for (int i = 0; i < foldOf.Length; i++)
            {
                (foldOf[i] == f ? test : train).Add(i);
            }

            splits[f] = new FoldSplit(f, train.ToArray(), test.ToArray());
        }

        return splits;
    }
}
