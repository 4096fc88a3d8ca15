using MathNet.Numerics.Distributions;

namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Two-sided Mann–Whitney U (Wilcoxon rank-sum) test.</summary>
/// <remarks>
/// <para><see cref="Test"/> uses the normal approximation with
/// the <b>tie correction</b> σ² = n_a·n_b/12 · [(N + 1) − Σ_g (t_g³ − t_g) / (N(N − 1))] over tie groups of size t_g,
/// and (by default) the <b>continuity correction</b> |U − n_a·n_b/2| − ½ (never below 0); p = 2·Φ(−|z|), capped at 1.
/// This matches SciPy's <c>mannwhitneyu(..., method="asymptotic", use_continuity=True)</c>.</para>
/// <para><see cref="TestExact"/> enumerates the null distribution of U by dynamic programming over rank arrangements
/// (valid only without ties) and reports p = min(1, 2·min(P(U ≤ u), P(U ≥ u))).</para>
/// </remarks>
public static class MannWhitney
{
    /// <summary>Largest n_a·n_b accepted by <see cref="TestExact"/>; the DP costs about (n_a + 1)(n_b + 1)(n_a·n_b) operations.</summary>
    public const int MaxExactProduct = 10_000;

    /// <summary>Two-sided test by the tie-corrected normal approximation.</summary>
    /// <param name="a">Sample a (non-empty, finite).</param>
    /// <param name="b">Sample b (non-empty, finite).</param>
    /// <param name="continuityCorrection">Shrink |U − mean| by ½ before standardising (default true).</param>
    public static MannWhitneyResult Test(ReadOnlySpan<double> a, ReadOnlySpan<double> b, bool continuityCorrection = true)
    {
        RankSummary ranks = Rank(a, b);
        return Asymptotic(ranks, a.Length, b.Length, continuityCorrection);
    }

    /// <summary>Two-sided test with the exact null distribution of U; samples must contain no ties.</summary>
    /// <param name="a">Sample a (non-empty, finite).</param>
    /// <param name="b">Sample b (non-empty, finite).</param>
    /// <remarks>Z and the standard deviation are still reported from the normal approximation (with continuity correction) for reference.</remarks>
    public static MannWhitneyResult TestExact(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        RankSummary ranks = Rank(a, b);
        if (ranks.TieTerm > 0)
        {
            throw new ArgumentException("The exact Mann–Whitney p-value is only defined here for samples without ties; use Test (tie-corrected normal approximation).");
        }

        long product = (long)a.Length * b.Length;
        if (product > MaxExactProduct)
        {
            throw new ArgumentException($"n_a·n_b = {product} exceeds {MaxExactProduct}; use the normal approximation (Test) for samples this large.");
        }

        MannWhitneyResult approx = Asymptotic(ranks, a.Length, b.Length, continuityCorrection: true);
        double p = ExactTwoSidedP(ranks.U, a.Length, b.Length);
        return approx with { PValue = p, IsExact = true };
    }

    /// <summary>Exact two-sided p-value min(1, 2·min(P(U ≤ u), P(U ≥ u))) under H0 without ties.</summary>
    internal static double ExactTwoSidedP(double u, int na, int nb)
    {
        double[] counts = ExactUCounts(na, nb);
        int uInt = (int)Math.Round(u);
        double total = 0;
        double lower = 0;
        double upper = 0;
        for (int k = 0; k < counts.Length; k++)
        {
            total += counts[k];
            if (k <= uInt)
            {
                lower += counts[k];
            }

            if (k >= uInt)
            {
                upper += counts[k];
            }
        }

        return Math.Min(1.0, 2.0 * Math.Min(lower, upper) / total);
    }

    /// <summary>
    /// Number of the C(n_a + n_b, n_a) equally likely arrangements giving each value of U = 0..n_a·n_b, by the recurrence
    /// N(u; m, n) = N(u − n; m − 1, n) + N(u; m, n − 1) (the largest pooled value belongs to a or to b).
    /// </summary>
    internal static double[] ExactUCounts(int na, int nb)
    {
        int maxU = na * nb;
        // table[m] holds N(·; m, n) for the current n.
        var table = new double[na + 1][];
        for (int m = 0; m <= na; m++)
        {
            table[m] = new double[maxU + 1];
        }

        table[0][0] = 1; // N(·; 0, 0)
        for (int n = 0; n <= nb; n++)
        {
            for (int m = 0; m <= na; m++)
            {
                if (m == 0 && n == 0)
                {
                    continue;
                }

                double[] current = table[m]; // currently N(·; m, n − 1), or zeros when n = 0
                if (n == 0)
                {
                    Array.Clear(current);
                    current[0] = 1; // only U = 0 is possible with an empty b
                    continue;
                }

                if (m == 0)
                {
                    Array.Clear(current);
                    current[0] = 1;
                    continue;
                }

                double[] fromA = table[m - 1]; // N(·; m − 1, n), already updated for this n
                int limit = m * n;
                for (int u = limit; u >= n; u--)
                {
                    current[u] += fromA[u - n];
                }
            }
        }

        return table[na];
    }

    private static MannWhitneyResult Asymptotic(RankSummary ranks, int na, int nb, bool continuityCorrection)
    {
        double n = na + nb;
        double mean = na * (double)nb / 2.0;
        double variance = na * (double)nb / 12.0 * ((n + 1) - (ranks.TieTerm / (n * (n - 1))));
        double sd = variance > 0 ? Math.Sqrt(variance) : 0.0;
        double deviation = ranks.U - mean;
        double z = 0.0;
        double p = 1.0;
        if (sd > 0)
        {
            double magnitude = Math.Abs(deviation);
            if (continuityCorrection)
            {
                magnitude = Math.Max(magnitude - 0.5, 0.0);
            }

            z = Math.Sign(deviation) * magnitude / sd;
            p = Math.Min(1.0, 2.0 * Normal.CDF(0.0, 1.0, -Math.Abs(z)));
        }

        return new MannWhitneyResult(ranks.U, na, nb, mean, sd, z, p, ranks.TieTerm > 0, IsExact: false);
    }

    private static RankSummary Rank(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        InputGuard.NonEmptyFinite(a, nameof(a));
        InputGuard.NonEmptyFinite(b, nameof(b));
        int n = a.Length + b.Length;
        var values = new double[n];
        var fromA = new bool[n];
        a.CopyTo(values);
        b.CopyTo(values.AsSpan(a.Length));
        fromA.AsSpan(0, a.Length).Fill(true);
        Array.Sort(values, fromA);

        double rankSumA = 0;
        double tieTerm = 0;
        int i = 0;
        while (i < n)
        {
            int j = i + 1;
            while (j < n && values[j] == values[i])
            {
                j++;
            }

            double t = j - i;
            double averageRank = ((i + 1) + j) / 2.0; // ranks i+1..j
            for (int k = i; k < j; k++)
            {
                if (fromA[k])
                {
                    rankSumA += averageRank;
                }
            }

            tieTerm += (t * t * t) - t;
            i = j;
        }

        double u = rankSumA - (a.Length * (a.Length + 1.0) / 2.0);
        return new RankSummary(u, tieTerm);
    }

    private readonly record struct RankSummary(double U, double TieTerm);
}
