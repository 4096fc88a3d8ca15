using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Tests.Probes;

public class StratifiedKFoldTests
{
    [Fact]
    public void Folds_PartitionTheSamples_AndPreserveClassRatios()
    {
        // 60 / 25 / 15 samples of classes 0 / 1 / 2 in a scrambled order.
        int[] labels = Enumerable.Range(0, 100).Select(i => (i * 37 % 100) < 60 ? 0 : (i * 37 % 100) < 85 ? 1 : 2).ToArray();
        IReadOnlyList<FoldSplit> folds = StratifiedKFold.Split(labels, 5, seed: 3);
        Assert.Equal(5, folds.Count);

        var seen = new int[labels.Length];
        foreach (FoldSplit fold in folds)
        {
            Assert.Equal(labels.Length, fold.TrainIndices.Count + fold.TestIndices.Count);
            Assert.Empty(fold.TrainIndices.Intersect(fold.TestIndices));
            Assert.Equal(20, fold.TestIndices.Count);
            foreach (int i in fold.TestIndices)
            {
                seen[i]++;
            }

            // Each class is split as evenly as possible: 60/5 = 12, 25/5 = 5, 15/5 = 3 per fold.
            Assert.Equal(12, fold.TestIndices.Count(i => labels[i] == 0));
            Assert.Equal(5, fold.TestIndices.Count(i => labels[i] == 1));
            Assert.Equal(3, fold.TestIndices.Count(i => labels[i] == 2));
        }

        Assert.All(seen, count => Assert.Equal(1, count));
    }

    [Fact]
    public void UnevenClassSizes_DifferByAtMostOnePerFold()
    {
        int[] labels = [.. Enumerable.Repeat(0, 23), .. Enumerable.Repeat(1, 12), .. Enumerable.Repeat(4, 7)];
        IReadOnlyList<FoldSplit> folds = StratifiedKFold.Split(labels, 5, seed: 9);
        foreach (int label in new[] { 0, 1, 4 })
        {
            int total = labels.Count(l => l == label);
            int[] perFold = folds.Select(f => f.TestIndices.Count(i => labels[i] == label)).ToArray();
            Assert.Equal(total, perFold.Sum());
            Assert.True(perFold.Max() - perFold.Min() <= 1);
        }

        int[] sizes = folds.Select(f => f.TestIndices.Count).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 1);
    }

    [Fact]
    public void Split_IsDeterministicForSeed_AndShuffles()
    {
        int[] labels = Enumerable.Range(0, 50).Select(i => i % 2).ToArray();
        IReadOnlyList<FoldSplit> a = StratifiedKFold.Split(labels, 5, seed: 1);
        IReadOnlyList<FoldSplit> b = StratifiedKFold.Split(labels, 5, seed: 1);
        IReadOnlyList<FoldSplit> c = StratifiedKFold.Split(labels, 5, seed: 2);
        Assert.Equal(a[0].TestIndices, b[0].TestIndices);
        Assert.NotEqual(a[0].TestIndices, c[0].TestIndices);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => StratifiedKFold.Split([], 5));
        Assert.Throws<ArgumentException>(() => StratifiedKFold.Split([0, 1, 0, 1], 1));
        Assert.Throws<ArgumentException>(() => StratifiedKFold.Split([0, 0, 0, 1, 1], 3)); // class 1 has 2 < 3 samples
        Assert.Throws<ArgumentException>(() => StratifiedKFold.Split([0, -1, 0, 1], 2));
    }
}
