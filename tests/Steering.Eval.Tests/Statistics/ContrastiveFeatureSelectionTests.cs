using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Statistics;

public class ContrastiveFeatureSelectionTests
{
    private const int Features = 40;

    /// <summary>
    /// Features 0..5 are shifted up in class A by 2.0 − 0.3·j (positive d, decreasing), features 6..11 shifted up in
    /// class B likewise (negative d); the rest are pure noise. ReLU-like: many exact zeros, as in SAE activations.
    /// </summary>
    private static (double[] A, double[] B) PlantedData(int rowsA, int rowsB, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        double[] Make(int rows, bool isA)
        {
            var data = new double[rows * Features];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < Features; j++)
                {
                    double shift = 0;
                    if (j < 6 && isA)
                    {
                        shift = 2.0 - (0.3 * j);
                    }
                    else if (j >= 6 && j < 12 && !isA)
                    {
                        shift = 2.0 - (0.3 * (j - 6));
                    }

                    data[(r * Features) + j] = Math.Max(0.0, rng.NextGaussian() + shift);
                }
            }

            return data;
        }

        return (Make(rowsA, true), Make(rowsB, false));
    }

    private static readonly ContrastiveSelectionOptions SmallOptions = new()
    {
        CandidateCount = 20,
        KeepPerDirection = 4,
        SteerPerDirection = 2,
    };

    [Fact]
    public void Defaults_AreThePaperBValues()
    {
        var o = ContrastiveSelectionOptions.Default;
        Assert.Equal(300, o.CandidateCount);
        Assert.Equal(0.01, o.Alpha);
        Assert.Equal(50, o.KeepPerDirection);
        Assert.Equal(20, o.SteerPerDirection);
        Assert.Equal(CohensDPooling.Averaged, o.Pooling);
    }

    [Fact]
    public void Run_RecoversPlantedFeatures_InEachDirection()
    {
        (double[] a, double[] b) = PlantedData(300, 260, 1);
        ContrastiveSelectionResult result = ContrastiveFeatureSelection.Run(a, b, Features, SmallOptions);

        Assert.Equal(20, result.TestCount);
        Assert.Equal([0, 1, 2, 3], result.KeptPositive.Select(f => f.Feature));
        Assert.Equal([6, 7, 8, 9], result.KeptNegative.Select(f => f.Feature));
        Assert.Equal([0, 1], result.SteeringPositive.Select(f => f.Feature));
        Assert.Equal([6, 7], result.SteeringNegative.Select(f => f.Feature));
        Assert.All(result.KeptPositive, f => Assert.Equal(FeatureDirection.Positive, f.Direction));
        Assert.All(result.KeptNegative, f => Assert.True(f.CohensD < 0));

        // The 12 planted features are significant; noise features are not.
        Assert.Equal(
            Enumerable.Range(0, 12).ToHashSet(),
            result.Tested.Where(f => f.Significant).Select(f => f.Feature).ToHashSet());
    }

    [Fact]
    public void TestedStatistics_MatchDirectComputation()
    {
        (double[] a, double[] b) = PlantedData(120, 90, 2);
        ContrastiveSelectionResult result = ContrastiveFeatureSelection.Run(a, b, Features, SmallOptions);

        double previous = double.PositiveInfinity;
        for (int k = 0; k < result.Tested.Count; k++)
        {
            ContrastiveFeature f = result.Tested[k];
            double[] colA = Column(a, f.Feature);
            double[] colB = Column(b, f.Feature);
            Assert.Equal(k, f.Rank);
            Assert.Equal(EffectSize.CohensD(colA, colB, CohensDPooling.Averaged), f.CohensD, 9);
            Assert.True(Math.Abs(f.CohensD) <= previous);
            previous = Math.Abs(f.CohensD);

            MannWhitneyResult mw = MannWhitney.Test(colA, colB);
            Assert.Equal(mw.U, f.U);
            Assert.Equal(mw.PValue, f.PValue);
            Assert.Equal(Math.Min(1.0, mw.PValue * 20), f.AdjustedPValue, 14); // Bonferroni over the 20 tested
            Assert.Equal(f.AdjustedPValue < 0.01, f.Significant);
        }
    }

    [Fact]
    public void StreamingTwoStages_EqualsInMemoryRun()
    {
        (double[] a, double[] b) = PlantedData(200, 150, 3);
        ContrastiveSelectionResult inMemory = ContrastiveFeatureSelection.Run(a, b, Features, SmallOptions);

        // Stage 1: stream float batches of 32 rows into per-class moments.
        var momentsA = new FeatureMoments(Features);
        var momentsB = new FeatureMoments(Features);
        foreach (double[] batch in Batches(a, 32))
        {
            momentsA.AddBatch(batch);
        }

        foreach (double[] batch in Batches(b, 32))
        {
            momentsB.AddBatch(batch);
        }

        ContrastiveCandidates candidates = ContrastiveFeatureSelection.RankCandidates(momentsA, momentsB, SmallOptions);
        Assert.Equal(20, candidates.Features.Count);
        Assert.Equal(Features, candidates.EffectSizes.Count);

        // Stage 2: second pass keeps only the candidate columns.
        ContrastiveSampleBuffer buffer = candidates.CreateSampleBuffer();
        foreach (double[] batch in Batches(a, 50))
        {
            buffer.AddBatch(ContrastiveClass.A, batch);
        }

        foreach (double[] batch in Batches(b, 50))
        {
            buffer.AddBatch(ContrastiveClass.B, batch);
        }

        Assert.Equal(200, buffer.RowCount(ContrastiveClass.A));
        ContrastiveSelectionResult streamed = ContrastiveFeatureSelection.Select(candidates, buffer, SmallOptions);

        Assert.Equal(inMemory.Tested.Select(f => f.Feature), streamed.Tested.Select(f => f.Feature));
        for (int k = 0; k < inMemory.Tested.Count; k++)
        {
            Assert.Equal(inMemory.Tested[k].CohensD, streamed.Tested[k].CohensD, 10);
            Assert.Equal(inMemory.Tested[k].PValue, streamed.Tested[k].PValue, 14);
        }

        // Stage 2 also accepts plain per-candidate arrays.
        var arraysA = candidates.Features.Select(f => Column(a, f)).ToArray();
        var arraysB = candidates.Features.Select(f => Column(b, f)).ToArray();
        ContrastiveSelectionResult fromArrays = ContrastiveFeatureSelection.Select(candidates, arraysA, arraysB, SmallOptions);
        Assert.Equal(streamed.KeptPositive, fromArrays.KeptPositive);
    }

    [Fact]
    public void KeepCountsCapTheLists_AndMinEffectSizeFilters()
    {
        (double[] a, double[] b) = PlantedData(300, 300, 4);
        var capped = SmallOptions with { KeepPerDirection = 2, SteerPerDirection = 1 };
        ContrastiveSelectionResult r = ContrastiveFeatureSelection.Run(a, b, Features, capped);
        Assert.Equal(2, r.KeptPositive.Count);
        Assert.Single(r.SteeringPositive);

        var strict = SmallOptions with { MinAbsEffectSize = 100 };
        Assert.Empty(ContrastiveFeatureSelection.Run(a, b, Features, strict).KeptPositive);
    }

    [Fact]
    public void FewerFeaturesThanCandidateCount_TestsAll()
    {
        (double[] a, double[] b) = PlantedData(50, 50, 5);
        ContrastiveSelectionResult r = ContrastiveFeatureSelection.Run(a, b, Features); // default M = 300 > 40
        Assert.Equal(Features, r.TestCount);
        Assert.All(r.Tested, f => Assert.Equal(Math.Min(1.0, f.PValue * Features), f.AdjustedPValue, 14));
    }

    [Fact]
    public void BadInput_Throws()
    {
        (double[] a, double[] b) = PlantedData(10, 10, 6);
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Run(a, b, Features, SmallOptions with { SteerPerDirection = 10 }));
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Run(a, b, Features, SmallOptions with { Alpha = 0 }));
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Run(a, b.AsSpan(0, Features).ToArray(), Features)); // one row in B
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Run(a, b[..^1], Features)); // ragged
        double[] nan = (double[])a.Clone();
        nan[3] = double.NaN;
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Run(nan, b, Features));

        var ma = new FeatureMoments(Features);
        var mb = new FeatureMoments(Features);
        ma.AddBatch(a);
        mb.AddBatch(b);
        ContrastiveCandidates candidates = ContrastiveFeatureSelection.RankCandidates(ma, mb, SmallOptions);
        ContrastiveSampleBuffer empty = candidates.CreateSampleBuffer();
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Select(candidates, empty, SmallOptions));
        var foreign = new ContrastiveSampleBuffer([0, 1], Features);
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Select(candidates, foreign, SmallOptions));
        Assert.Throws<ArgumentException>(() => new ContrastiveSampleBuffer([0, 0], Features));
        Assert.Throws<ArgumentException>(() => new ContrastiveSampleBuffer([Features], Features));
        Assert.Throws<ArgumentException>(() => ContrastiveFeatureSelection.Select(candidates, [[1.0]], [[1.0]], SmallOptions));
    }

    private static double[] Column(double[] rowMajor, int feature) =>
        Enumerable.Range(0, rowMajor.Length / Features).Select(r => rowMajor[(r * Features) + feature]).ToArray();

    private static IEnumerable<double[]> Batches(double[] rowMajor, int rowsPerBatch)
    {
        int stride = rowsPerBatch * Features;
        for (int start = 0; start < rowMajor.Length; start += stride)
        {
            yield return rowMajor[start..Math.Min(rowMajor.Length, start + stride)];
        }
    }
}
