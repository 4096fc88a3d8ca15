using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Statistics;

public class FeatureMomentsTests
{
    private const double Offset = 1e9;

    /// <summary>Values 1e9 + k/1024 are exact in double, so subtracting the offset exactly gives a well-conditioned reference.</summary>
    private static double[] AdversarialBatch(int rows, int features, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        var data = new double[rows * features];
        for (int i = 0; i < data.Length; i++)
        {
            int k = rng.NextInt(2049) - 1024; // noise in [−1, 1] in steps of 1/1024
            data[i] = Offset + (k / 1024.0) + (i % features); // per-feature shift keeps columns distinct
        }

        return data;
    }

    private static (double Mean, double M2) TwoPassDeOffset(double[] data, int features, int feature)
    {
        int rows = data.Length / features;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            sum += data[(r * features) + feature] - Offset; // exact subtraction
        }

        double mean = sum / rows;
        double m2 = 0;
        for (int r = 0; r < rows; r++)
        {
            double dev = data[(r * features) + feature] - Offset - mean;
            m2 += dev * dev;
        }

        return (mean + Offset, m2);
    }

    [Fact]
    public void Welford_MatchesTwoPassOnLargeOffsetData()
    {
        const int features = 3;
        const int rows = 20_000;
        double[] data = AdversarialBatch(rows, features, 11);
        var moments = new FeatureMoments(features);
        moments.AddBatch(data);

        Assert.Equal(rows, moments.Count);
        for (int f = 0; f < features; f++)
        {
            (double mean, double m2) = TwoPassDeOffset(data, features, f);
            Assert.Equal(mean, moments.Mean(f), 1e-6);
            Assert.Equal(m2 / (rows - 1), moments.SampleVariance(f), 1e-9);
            Assert.Equal(m2 / rows, moments.PopulationVariance(f), 1e-9);
        }
    }

    [Fact]
    public void NaiveSumOfSquares_FailsOnTheSameData_ShowingTheTestIsAdversarial()
    {
        double[] data = AdversarialBatch(20_000, 1, 12);
        double sum = 0;
        double sumSq = 0;
        foreach (double v in data)
        {
            sum += v;
            sumSq += v * v;
        }

        double naive = (sumSq - (sum * sum / data.Length)) / (data.Length - 1);
        (_, double m2) = TwoPassDeOffset(data, 1, 0);
        double reference = m2 / (data.Length - 1);
        Assert.True(Math.Abs(naive - reference) > 1.0, $"naive {naive} vs reference {reference}");
    }

    [Fact]
    public void MergeOfTwoHalves_EqualsOnePass()
    {
        const int features = 4;
        double[] data = AdversarialBatch(5001, features, 13);
        var whole = new FeatureMoments(features);
        whole.AddBatch(data);

        int split = 1777 * features;
        var first = new FeatureMoments(features);
        var second = new FeatureMoments(features);
        first.AddBatch(data.AsSpan(0, split));
        second.AddBatch(data.AsSpan(split));
        first.Merge(second);

        Assert.Equal(whole.Count, first.Count);
        for (int f = 0; f < features; f++)
        {
            Assert.Equal(whole.Mean(f), first.Mean(f), 1e-6);
            Assert.Equal(whole.SampleVariance(f), first.SampleVariance(f), 1e-9);
        }
    }

    [Fact]
    public void MergeIntoEmpty_CopiesAndLeavesSourceUntouched()
    {
        var source = new FeatureMoments(2);
        source.AddBatch([1.0, 10.0, 3.0, 20.0]);
        var target = new FeatureMoments(2);
        target.Merge(source);
        target.AddRow([5.0, 30.0]);

        Assert.Equal(2, source.Count);
        Assert.Equal(2.0, source.Mean(0), 12);
        Assert.Equal(3, target.Count);
        Assert.Equal(3.0, target.Mean(0), 12);
        Assert.Equal(4.0, target.SampleVariance(0), 12); // {1,3,5}
        Assert.Equal(100.0, target.SampleVariance(1), 12); // {10,20,30}
    }

    [Fact]
    public void HandWorkedSmallCase_SampleAndPopulationVariance()
    {
        var moments = new FeatureMoments(1);
        moments.AddBatch([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        Assert.Equal(5.0, moments.Mean(0), 12);
        Assert.Equal(4.0, moments.PopulationVariance(0), 12); // textbook example: σ = 2
        Assert.Equal(32.0 / 7.0, moments.SampleVariance(0), 12);
        Assert.Equal(32.0, moments.SumOfSquaredDeviations(0), 12);
    }

    [Fact]
    public void FloatBatches_AccumulateInDouble()
    {
        float[] batch = [1f, 2f, 3f, 4f, 5f, 6f];
        var moments = new FeatureMoments(3);
        moments.AddBatch(batch);
        Assert.Equal([2.5, 3.5, 4.5], moments.GetMeans());
        Assert.Equal([4.5, 4.5, 4.5], moments.GetSampleVariances());
        Assert.Equal([2.25, 2.25, 2.25], moments.GetPopulationVariances());
    }

    [Fact]
    public void Clone_IsIndependent()
    {
        var moments = new FeatureMoments(1);
        moments.AddBatch([1.0, 2.0]);
        FeatureMoments copy = moments.Clone();
        copy.AddRow([100.0]);
        Assert.Equal(2, moments.Count);
        Assert.Equal(1.5, moments.Mean(0));
    }

    [Fact]
    public void BadInput_Throws()
    {
        var moments = new FeatureMoments(2);
        Assert.Throws<ArgumentException>(() => new FeatureMoments(0));
        Assert.Throws<ArgumentException>(() => moments.AddBatch([1.0, 2.0, 3.0]));
        Assert.Throws<ArgumentException>(() => moments.AddBatch([1.0, double.NaN]));
        Assert.Throws<ArgumentException>(() => moments.AddBatch([1f, float.PositiveInfinity]));
        Assert.Throws<ArgumentException>(() => moments.AddRow([1.0]));
        Assert.Throws<ArgumentException>(() => moments.Merge(new FeatureMoments(3)));
        Assert.Throws<ArgumentException>(() => moments.Mean(2));
        Assert.Equal(0, moments.Count); // rejected batches leave no partial update
        Assert.Throws<InvalidOperationException>(() => moments.Mean(0));
        moments.AddRow([1.0, 2.0]);
        Assert.Throws<InvalidOperationException>(() => moments.SampleVariance(0));
    }
}
