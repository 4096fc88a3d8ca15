namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Standardised mean-difference effect sizes.</summary>
/// <remarks>
/// d = (mean_a − mean_b) / s_p with sample variances (n − 1 denominators); positive d means larger values in a.
/// When the pooled standard deviation is zero, d is 0 if the means are equal and ±∞ otherwise (perfect separation).
/// </remarks>
public static class EffectSize
{
    /// <summary>Cohen's d of two raw samples.</summary>
    /// <param name="a">First sample (at least two finite values).</param>
    /// <param name="b">Second sample (at least two finite values).</param>
    /// <param name="pooling">Variance pooling rule; defaults to the classic weighted pooled SD.</param>
    public static double CohensD(ReadOnlySpan<double> a, ReadOnlySpan<double> b, CohensDPooling pooling = CohensDPooling.Weighted)
    {
        RequireSample(a, nameof(a));
        RequireSample(b, nameof(b));
        (double meanA, double varA) = MeanAndSampleVariance(a);
        (double meanB, double varB) = MeanAndSampleVariance(b);
        return CohensD(meanA, varA, a.Length, meanB, varB, b.Length, pooling);
    }

    /// <summary>Cohen's d from summary statistics.</summary>
    /// <param name="meanA">Mean of sample a.</param>
    /// <param name="sampleVarianceA">Sample variance (n − 1 denominator) of a.</param>
    /// <param name="countA">Size of a, at least 2.</param>
    /// <param name="meanB">Mean of sample b.</param>
    /// <param name="sampleVarianceB">Sample variance (n − 1 denominator) of b.</param>
    /// <param name="countB">Size of b, at least 2.</param>
    /// <param name="pooling">Variance pooling rule.</param>
    public static double CohensD(
        double meanA, double sampleVarianceA, long countA,
        double meanB, double sampleVarianceB, long countB,
        CohensDPooling pooling = CohensDPooling.Weighted)
    {
        if (countA < 2 || countB < 2)
        {
            throw new ArgumentException($"Cohen's d needs at least two observations per group; got {countA} and {countB}.");
        }

        if (!double.IsFinite(meanA) || !double.IsFinite(meanB) || !double.IsFinite(sampleVarianceA) || !double.IsFinite(sampleVarianceB))
        {
            throw new ArgumentException("Means and variances must be finite (no NaN or infinity).");
        }

        if (sampleVarianceA < 0 || sampleVarianceB < 0)
        {
            throw new ArgumentException($"Variances must be non-negative; got {sampleVarianceA} and {sampleVarianceB}.");
        }

        double pooledVariance = pooling switch
        {
            // Paper b, App. C.5.2 Eq. 16: d_j = (mean_A − mean_B) / sqrt((Var_A + Var_B) / 2).
            CohensDPooling.Averaged => 0.5 * (sampleVarianceA + sampleVarianceB),
            CohensDPooling.Weighted => (((countA - 1) * sampleVarianceA) + ((countB - 1) * sampleVarianceB)) / (countA + countB - 2),
            _ => throw new ArgumentException($"Unknown pooling rule {pooling}.", nameof(pooling)),
        };

        return Standardise(meanA - meanB, Math.Sqrt(pooledVariance));
    }

    /// <summary>Per-feature Cohen's d between two streaming accumulators (a minus b).</summary>
    /// <param name="a">Moments of group a (at least two rows).</param>
    /// <param name="b">Moments of group b over the same features (at least two rows).</param>
    /// <param name="pooling">Variance pooling rule.</param>
    public static double[] CohensD(FeatureMoments a, FeatureMoments b, CohensDPooling pooling = CohensDPooling.Weighted)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        InputGuard.SameLength(a.FeatureCount, b.FeatureCount, nameof(b));
        if (a.Count < 2 || b.Count < 2)
        {
            throw new ArgumentException($"Cohen's d needs at least two rows per group; got {a.Count} and {b.Count}.");
        }

        var d = new double[a.FeatureCount];
        for (int j = 0; j < d.Length; j++)
        {
            d[j] = CohensD(a.Mean(j), a.SampleVariance(j), a.Count, b.Mean(j), b.SampleVariance(j), b.Count, pooling);
        }

        return d;
    }

    private static double Standardise(double difference, double pooledSd)
    {
        if (pooledSd > 0)
        {
            return difference / pooledSd;
        }

        return difference == 0 ? 0.0 : (difference > 0 ? double.PositiveInfinity : double.NegativeInfinity);
    }

    private static void RequireSample(ReadOnlySpan<double> values, string paramName)
    {
        if (values.Length < 2)
        {
            throw new ArgumentException($"Cohen's d needs at least two observations per group; got {values.Length}.", paramName);
        }

        InputGuard.AllFinite(values, paramName);
    }

    /// <summary>Two-pass mean and sample variance (corrected two-pass algorithm).</summary>
    internal static (double Mean, double Variance) MeanAndSampleVariance(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        double mean = sum / values.Length;
        double ss = 0;
        double comp = 0;
        foreach (double v in values)
        {
            double dev = v - mean;
            ss += dev * dev;
            comp += dev;
        }

        double variance = values.Length > 1 ? (ss - (comp * comp / values.Length)) / (values.Length - 1) : 0.0;
        return (mean, Math.Max(variance, 0.0));
    }
}
