using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Statistics;

public class BootstrapTests
{
    [Fact]
    public void PercentileInterval_CoverageIsNear95Percent_OnNormalData()
    {
        // 1,000 replications of n = 40 draws from N(5, 2²); B = 500 resamples each. The percentile interval for a mean
        // slightly under-covers at this n (≈ 0.94 expected); the binomial SD of the estimate is ≈ 0.007.
        const int replications = 1000;
        const int n = 40;
        const double trueMean = 5.0;
        var rng = new Xoshiro256StarStar(2024);
        var sample = new double[n];
        int covered = 0;
        for (int rep = 0; rep < replications; rep++)
        {
            for (int i = 0; i < n; i++)
            {
                sample[i] = trueMean + (2.0 * rng.NextGaussian());
            }

            var options = new BootstrapOptions { Resamples = 500, Seed = (ulong)rep };
            covered += Bootstrap.Percentile(sample, null, options).Contains(trueMean) ? 1 : 0;
        }

        double coverage = covered / (double)replications;
        Assert.InRange(coverage, 0.92, 0.97);
    }

    [Fact]
    public void Percentile_IsDeterministicForASeed_AndDependsOnIt()
    {
        double[] data = [3.1, 0.2, 5.5, 2.4, 1.9, 4.4, 3.3, 0.7];
        var o1 = new BootstrapOptions { Seed = 17 };
        ConfidenceInterval first = Bootstrap.Percentile(data, null, o1);
        ConfidenceInterval second = Bootstrap.Percentile(data, null, o1);
        ConfidenceInterval other = Bootstrap.Percentile(data, null, o1 with { Seed = 18 });
        Assert.Equal(first, second);
        Assert.NotEqual(first.Lower, other.Lower);
        Assert.Equal(data.Average(), first.Estimate, 14);
        Assert.True(first.Lower <= first.Estimate && first.Estimate <= first.Upper);
    }

    [Fact]
    public void Percentile_CustomStatistic_Median()
    {
        double[] data = [1, 2, 3, 4, 100];
        ConfidenceInterval ci = Bootstrap.Percentile(data, s =>
        {
            double[] sorted = s.ToArray();
            Array.Sort(sorted);
            return sorted[sorted.Length / 2];
        });
        Assert.Equal(3.0, ci.Estimate);
        Assert.InRange(ci.Lower, 1.0, 3.0);
        Assert.InRange(ci.Upper, 3.0, 100.0);
    }

    [Fact]
    public void Percentile_ConstantData_GivesDegenerateInterval()
    {
        ConfidenceInterval ci = Bootstrap.Percentile([1.0, 1.0, 1.0]);
        Assert.Equal(new ConfidenceInterval(1.0, 1.0, 1.0, 0.95), ci);
    }

    [Fact]
    public void PairedDifference_ConstantShift_IsExact()
    {
        double[] a = [1.0, 5.0, 2.0, 8.0, 3.0];
        double[] b = a.Select(v => v - 0.5).ToArray();
        ConfidenceInterval ci = Bootstrap.PairedDifference(a, b);
        Assert.Equal(0.5, ci.Estimate, 12);
        Assert.Equal(0.5, ci.Lower, 12);
        Assert.Equal(0.5, ci.Upper, 12);
    }

    [Fact]
    public void PairedDifference_IsNarrowerThanIgnoringThePairing()
    {
        // Large unit-to-unit variation shared by both methods cancels in the paired difference.
        var rng = new Xoshiro256StarStar(8);
        var a = new double[60];
        var b = new double[60];
        for (int i = 0; i < a.Length; i++)
        {
            double unit = 10 * rng.NextGaussian();
            a[i] = unit + 0.3 + (0.1 * rng.NextGaussian());
            b[i] = unit + (0.1 * rng.NextGaussian());
        }

        ConfidenceInterval paired = Bootstrap.PairedDifference(a, b);
        ConfidenceInterval ciA = Bootstrap.Percentile(a);
        Assert.True(paired.Contains(0.3));
        Assert.False(paired.Contains(0.0));
        Assert.True(paired.Width < ciA.Width / 10);
    }

    [Fact]
    public void SignFlip_ExactHandWorked()
    {
        // d = {1, 2, 3}: the 8 sign patterns give sums ±6, ±4, ±2, 0, 0; |sum| ≥ 6 for 2 of 8 → p = 0.25.
        PermutationTestResult r = PairedPermutationTest.SignFlip([2, 4, 6], [1, 2, 3]);
        Assert.True(r.IsExact);
        Assert.Equal(8, r.Permutations);
        Assert.Equal(0.25, r.PValue, 14);
        Assert.Equal(2.0, r.Statistic, 14);
    }

    [Fact]
    public void SignFlip_MonteCarlo_ApproximatesExact()
    {
        var rng = new Xoshiro256StarStar(4);
        double[] a = Enumerable.Range(0, 16).Select(_ => rng.NextGaussian() + 0.4).ToArray();
        double[] b = Enumerable.Range(0, 16).Select(_ => rng.NextGaussian()).ToArray();
        PermutationTestResult exact = PairedPermutationTest.SignFlip(a, b, permutations: 1 << 16);
        PermutationTestResult sampled = PairedPermutationTest.SignFlip(a, b, permutations: 20_000, seed: 1);
        Assert.True(exact.IsExact);
        Assert.False(sampled.IsExact);
        Assert.Equal(exact.PValue, sampled.PValue, 0.01);
    }

    [Fact]
    public void SignFlip_IdenticalMethods_GivePOne()
    {
        double[] a = [1, 2, 3, 4];
        Assert.Equal(1.0, PairedPermutationTest.SignFlip(a, a).PValue);
    }

    [Fact]
    public void ComparePaired_CombinesIntervalAndTest()
    {
        double[] a = Enumerable.Range(0, 40).Select(i => 1.0 + (i % 5 * 0.01)).ToArray();
        double[] b = Enumerable.Range(0, 40).Select(i => 0.5 + (i % 7 * 0.01)).ToArray();
        PairedComparison cmp = Bootstrap.ComparePaired(a, b);
        Assert.True(cmp.MeanDifference.Lower > 0.4);
        Assert.True(cmp.PValue < 0.001);
        Assert.False(cmp.IsExactPValue);
    }

    [Fact]
    public void MeanInterval_StudentT_HandWorked()
    {
        // {1..5}: mean 3, s = √2.5, se = √0.5, t_{4, 0.975} = 2.7764451051977987.
        ConfidenceInterval ci = MeanInterval.StudentT([1, 2, 3, 4, 5]);
        double half = 2.7764451051977987 * Math.Sqrt(0.5);
        Assert.Equal(3.0, ci.Estimate, 14);
        Assert.Equal(3.0 - half, ci.Lower, 9);
        Assert.Equal(3.0 + half, ci.Upper, 9);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => Bootstrap.Percentile([]));
        Assert.Throws<ArgumentException>(() => Bootstrap.Percentile([1.0, double.NaN]));
        Assert.Throws<ArgumentException>(() => Bootstrap.Percentile([1.0, 2.0], null, new BootstrapOptions { Resamples = 5 }));
        Assert.Throws<ArgumentException>(() => Bootstrap.Percentile([1.0, 2.0], null, new BootstrapOptions { ConfidenceLevel = 1.0 }));
        Assert.Throws<ArgumentException>(() => Bootstrap.PairedDifference([1.0, 2.0], [1.0]));
        Assert.Throws<ArgumentException>(() => PairedPermutationTest.SignFlip([1.0], [1.0, 2.0]));
        Assert.Throws<ArgumentException>(() => MeanInterval.StudentT([1.0]));
        Assert.Throws<ArgumentException>(() => Bootstrap.Percentile([1.0, 2.0], _ => double.NaN));
    }
}
