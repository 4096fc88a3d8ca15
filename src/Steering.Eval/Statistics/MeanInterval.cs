namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Confidence intervals for a mean.</summary>
public static class MeanInterval
{
    /// <summary>
    /// Student-t interval mean ± t_{n−1, (1+level)/2} · s / √n with the sample standard deviation s.
    /// </summary>
    /// <param name="values">At least two finite values.</param>
    /// <param name="level">Confidence level in (0, 1), default 0.95.</param>
    public static ConfidenceInterval StudentT(ReadOnlySpan<double> values, double level = 0.95)
    {
        if (values.Length < 2)
        {
            throw new ArgumentException($"A t interval needs at least two values; got {values.Length}.", nameof(values));
        }

        InputGuard.AllFinite(values, nameof(values));
        InputGuard.ConfidenceLevel(level, nameof(level));
        (double mean, double variance) = EffectSize.MeanAndSampleVariance(values);
        double t = TQuantile(values.Length - 1, level);
        double half = t * Math.Sqrt(variance / values.Length);
        return new ConfidenceInterval(mean, mean - half, mean + half, level);
    }

    /// <summary>Percentile-bootstrap interval for the mean (a thin wrapper over <see cref="Bootstrap.Percentile"/>).</summary>
    /// <param name="values">Non-empty finite values.</param>
    /// <param name="options">Bootstrap settings; defaults when null.</param>
    public static ConfidenceInterval Bootstrapped(ReadOnlySpan<double> values, BootstrapOptions? options = null) =>
        Bootstrap.Percentile(values, null, options);

    private static double TQuantile(int degreesOfFreedom, double level) =>
        MathNet.Numerics.Distributions.StudentT.InvCDF(0.0, 1.0, degreesOfFreedom, 0.5 + (level / 2.0));
}
