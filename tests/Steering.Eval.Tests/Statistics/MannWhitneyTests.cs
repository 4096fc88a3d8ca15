using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Statistics;

public class MannWhitneyTests
{
    [Fact]
    public void CompleteSeparation_HandComputed()
    {
        // a below b entirely: U_a = 0; μ = 4.5, σ² = 3·3·7/12 = 5.25; z = (0 − 4.5 + 0.5)/√5.25.
        // Exact: only 1 of C(6,3) = 20 arrangements has U = 0, so p = 2/20.
        MannWhitneyResult r = MannWhitney.Test([1, 2, 3], [4, 5, 6]);
        Assert.Equal(0.0, r.U);
        Assert.Equal(9.0, r.UComplement);
        Assert.Equal(4.5, r.MeanU);
        Assert.Equal(Math.Sqrt(5.25), r.StandardDeviationU, 12);
        Assert.Equal(-4.0 / Math.Sqrt(5.25), r.Z, 12);
        Assert.Equal(0.0808555983700523, r.PValue, 10); // 2Φ(−1.7457431…), computed with erfc
        Assert.False(r.HasTies);

        MannWhitneyResult exact = MannWhitney.TestExact([1, 2, 3], [4, 5, 6]);
        Assert.True(exact.IsExact);
        Assert.Equal(0.1, exact.PValue, 14);
    }

    [Fact]
    public void HandComputed_Interleaved()
    {
        // a = {1, 4, 6}, b = {2, 3, 5}: pairs with a > b: 1→0, 4→2, 6→3, so U_a = 5.
        // Exact null counts of U for m = n = 3 (U = 0..9): 1,1,2,3,3,3,3,2,1,1 (total 20).
        // P(U ≥ 5) = 10/20, P(U ≤ 5) = 13/20 → p = 2·10/20 = 1.0.
        MannWhitneyResult r = MannWhitney.TestExact([1, 4, 6], [2, 3, 5]);
        Assert.Equal(5.0, r.U);
        Assert.Equal(1.0, r.PValue, 14);
        Assert.Equal([1.0, 1, 2, 3, 3, 3, 3, 2, 1, 1], MannWhitney.ExactUCounts(3, 3));
    }

    [Fact]
    public void TieCorrection_HandWorkedExample()
    {
        // Pooled sorted: 1a 2a 2a 2b 3a 3b 4b 5b. Ranks: 1; 2,2,2 → 3; 3,3 → 5.5; 4 → 7; 5 → 8.
        // R_a = 1 + 3 + 3 + 5.5 = 12.5, U_a = 12.5 − 10 = 2.5, μ = 8.
        // Tie term Σ(t³ − t) = (27 − 3) + (8 − 2) = 30; σ² = 16/12·(9 − 30/56) = 11.285714…
        // z = (2.5 − 8 + 0.5)/σ = −1.48835139…, p = 2Φ(z) = 0.136658247…
        MannWhitneyResult r = MannWhitney.Test([1, 2, 2, 3], [2, 3, 4, 5]);
        Assert.Equal(2.5, r.U);
        Assert.True(r.HasTies);
        Assert.Equal(11.285714285714285, r.StandardDeviationU * r.StandardDeviationU, 10);
        Assert.Equal(-1.4883513944689681, r.Z, 10);
        Assert.Equal(0.13665824773814753, r.PValue, 10);
    }

    [Fact]
    public void WithoutContinuityCorrection_UsesRawDeviation()
    {
        MannWhitneyResult r = MannWhitney.Test([1, 2, 3], [4, 5, 6], continuityCorrection: false);
        Assert.Equal(-4.5 / Math.Sqrt(5.25), r.Z, 12);
    }

    [Fact]
    public void AllValuesTied_GivesPOne()
    {
        MannWhitneyResult r = MannWhitney.Test([2, 2], [2, 2, 2]);
        Assert.Equal(3.0, r.U);
        Assert.Equal(0.0, r.Z);
        Assert.Equal(1.0, r.PValue);
    }

    [Fact]
    public void SwappingSamples_MirrorsU_KeepsP()
    {
        double[] a = [0.3, 1.7, 2.2, 5.1, 0.9];
        double[] b = [2.5, 3.3, 4.0, 1.1];
        MannWhitneyResult ab = MannWhitney.Test(a, b);
        MannWhitneyResult ba = MannWhitney.Test(b, a);
        Assert.Equal(ab.U, ba.UComplement);
        Assert.Equal(ab.PValue, ba.PValue, 14);
        Assert.Equal(-ab.Z, ba.Z, 14);
    }

    [Fact]
    public void UStatistic_EqualsPairCount()
    {
        var rng = new Xoshiro256StarStar(9);
        double[] a = Enumerable.Range(0, 17).Select(_ => Math.Round(rng.NextGaussian() * 3)).ToArray();
        double[] b = Enumerable.Range(0, 11).Select(_ => Math.Round(rng.NextGaussian() * 3)).ToArray();
        double pairs = 0;
        foreach (double x in a)
        {
            foreach (double y in b)
            {
                pairs += x > y ? 1.0 : x == y ? 0.5 : 0.0;
            }
        }

        Assert.Equal(pairs, MannWhitney.Test(a, b).U, 10);
    }

    [Fact]
    public void ExactP_MatchesBruteForceEnumeration_ForAllSizesUpTo8()
    {
        var rng = new Xoshiro256StarStar(21);
        for (int na = 1; na <= 8; na++)
        {
            for (int nb = 1; nb <= 8; nb++)
            {
                // Distinct values: a random permutation of 0..N−1 split into a and b.
                int n = na + nb;
                int[] perm = Enumerable.Range(0, n).ToArray();
                rng.Shuffle<int>(perm);
                double[] a = perm.Take(na).Select(v => (double)v).ToArray();
                double[] b = perm.Skip(na).Select(v => (double)v).ToArray();

                MannWhitneyResult exact = MannWhitney.TestExact(a, b);
                Assert.Equal(BruteForceExactP(a, b), exact.PValue, 12);
            }
        }
    }

    [Fact]
    public void ExactCounts_SumToBinomialCoefficient_AndAreSymmetric()
    {
        double[] counts = MannWhitney.ExactUCounts(7, 5);
        Assert.Equal(792.0, counts.Sum()); // C(12, 5)
        for (int u = 0; u < counts.Length; u++)
        {
            Assert.Equal(counts[u], counts[counts.Length - 1 - u]);
        }
    }

    [Fact]
    public void NormalApproximation_IsCloseToExact_ForModerateSizes()
    {
        var rng = new Xoshiro256StarStar(33);
        double maxGap = 0;
        for (int trial = 0; trial < 20; trial++)
        {
            double[] a = Enumerable.Range(0, 20).Select(_ => rng.NextGaussian() + 0.6).ToArray();
            double[] b = Enumerable.Range(0, 18).Select(_ => rng.NextGaussian()).ToArray();
            double approx = MannWhitney.Test(a, b).PValue;
            double exact = MannWhitney.TestExact(a, b).PValue;
            maxGap = Math.Max(maxGap, Math.Abs(approx - exact));
        }

        // Observed ≈ 0.004 with the continuity correction; 0.01 leaves room while still catching a wrong variance or correction.
        Assert.True(maxGap < 0.01, $"largest |p_normal − p_exact| = {maxGap}");
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => MannWhitney.Test([], [1.0]));
        Assert.Throws<ArgumentException>(() => MannWhitney.Test([1.0], []));
        Assert.Throws<ArgumentException>(() => MannWhitney.Test([1.0, double.NaN], [1.0]));
        Assert.Throws<ArgumentException>(() => MannWhitney.TestExact([1.0, 2.0], [2.0, 3.0])); // tie
        double[] big = Enumerable.Range(0, 101).Select(i => (double)i).ToArray();
        double[] big2 = Enumerable.Range(200, 101).Select(i => (double)i).ToArray();
        Assert.Throws<ArgumentException>(() => MannWhitney.TestExact(big, big2));
    }

    /// <summary>Enumerates every way to choose which pooled values form sample a; p = min(1, 2·min(P(U ≤ u), P(U ≥ u))).</summary>
    private static double BruteForceExactP(double[] a, double[] b)
    {
        double[] pooled = [.. a, .. b];
        int n = pooled.Length;
        double observed = CountU(a, b);
        long total = 0;
        long lower = 0;
        long upper = 0;
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != a.Length)
            {
                continue;
            }

            var ga = new List<double>();
            var gb = new List<double>();
            for (int i = 0; i < n; i++)
            {
                ((mask >> i & 1) == 1 ? ga : gb).Add(pooled[i]);
            }

            double u = CountU(ga, gb);
            total++;
            lower += u <= observed ? 1 : 0;
            upper += u >= observed ? 1 : 0;
        }

        return Math.Min(1.0, 2.0 * Math.Min(lower, upper) / total);
    }

    private static double CountU(IEnumerable<double> a, IEnumerable<double> b)
    {
        double u = 0;
        foreach (double x in a)
        {
            foreach (double y in b)
            {
                u += x > y ? 1 : 0;
            }
        }

        return u;
    }
}
