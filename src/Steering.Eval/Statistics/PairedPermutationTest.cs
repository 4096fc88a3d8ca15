namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Paired sign-flip (randomisation) test for a zero mean difference between two methods on the same units.</summary>
/// <remarks>
/// Under H0 each paired difference d_i = a_i − b_i is symmetric about 0, so its sign is exchangeable. The statistic is
/// T = |Σ s_i·d_i| over sign patterns s. When 2^n ≤ the permutation budget every pattern is enumerated and
/// p = #{T_s ≥ T_obs} / 2^n (exact); otherwise p = (1 + #{T_s ≥ T_obs}) / (1 + B) over B seeded random patterns, which
/// is a valid (slightly conservative) p-value. Comparisons allow a relative tolerance of 1e-12 for rounding.
/// </remarks>
public static class PairedPermutationTest
{
    /// <summary>Default number of random sign patterns.</summary>
    public const int DefaultPermutations = 10_000;

    /// <summary>Two-sided sign-flip test of mean(a − b) = 0.</summary>
    /// <param name="a">Scores of method A per unit (non-empty, finite).</param>
    /// <param name="b">Scores of method B on the same units.</param>
    /// <param name="permutations">Random sign patterns to draw when exact enumeration is larger (at least 100).</param>
    /// <param name="seed">Seed for the random patterns.</param>
    public static PermutationTestResult SignFlip(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int permutations = DefaultPermutations, ulong seed = 0)
    {
        InputGuard.NonEmptyFinite(a, nameof(a));
        InputGuard.SameLength(a.Length, b.Length, nameof(b));
        InputGuard.AllFinite(b, nameof(b));
        InputGuard.AtLeast(permutations, 100, nameof(permutations));

        int n = a.Length;
        var d = new double[n];
        double scale = 0;
        double observed = 0;
        for (int i = 0; i < n; i++)
        {
            d[i] = a[i] - b[i];
            scale += Math.Abs(d[i]);
            observed += d[i];
        }

        double threshold = Math.Abs(observed) - (1e-12 * scale);
        double meanDifference = observed / n;

        if (n < 31 && (1L << n) <= permutations)
        {
            long total = 1L << n;
            long extreme = 0;
            for (long mask = 0; mask < total; mask++)
            {
                double t = 0;
                for (int i = 0; i < n; i++)
                {
                    t += ((mask >> i) & 1) == 0 ? d[i] : -d[i];
                }

                if (Math.Abs(t) >= threshold)
                {
                    extreme++;
                }
            }

            return new PermutationTestResult(meanDifference, (double)extreme / total, total, IsExact: true);
        }

        var rng = new Xoshiro256StarStar(seed);
        long hits = 0;
        for (int p = 0; p < permutations; p++)
        {
            double t = 0;
            int i = 0;
            while (i < n)
            {
                ulong bits = rng.NextUInt64();
                int take = Math.Min(64, n - i);
                for (int k = 0; k < take; k++, i++)
                {
                    t += ((bits >> k) & 1) == 0 ? d[i] : -d[i];
                }
            }

            if (Math.Abs(t) >= threshold)
            {
                hits++;
            }
        }

        return new PermutationTestResult(meanDifference, (hits + 1.0) / (permutations + 1.0), permutations, IsExact: false);
    }
}
