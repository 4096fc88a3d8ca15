namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Family-wise error control for a set of p-values.</summary>
public static class MultipleTesting
{
    /// <summary>Bonferroni-adjusted p-values min(1, m·p_i) with m = number of p-values given.</summary>
    /// <param name="pValues">Raw p-values in [0, 1] (non-empty).</param>
    public static double[] Bonferroni(ReadOnlySpan<double> pValues) => Bonferroni(pValues, pValues.Length);

    /// <summary>Bonferroni-adjusted p-values min(1, m·p_i) for an explicit family size m (e.g. when only some p-values are at hand).</summary>
    /// <param name="pValues">Raw p-values in [0, 1] (non-empty).</param>
    /// <param name="numberOfTests">Family size m, at least the number of p-values.</param>
    public static double[] Bonferroni(ReadOnlySpan<double> pValues, int numberOfTests)
    {
        InputGuard.NotEmpty(pValues, nameof(pValues));
        if (numberOfTests < pValues.Length)
        {
            throw new ArgumentException($"The family size ({numberOfTests}) cannot be smaller than the number of p-values ({pValues.Length}).", nameof(numberOfTests));
        }

        var adjusted = new double[pValues.Length];
        for (int i = 0; i < pValues.Length; i++)
        {
            double p = pValues[i];
            if (!(p >= 0.0 && p <= 1.0))
            {
                throw new ArgumentException($"p-value at index {i} is {p}; p-values must lie in [0, 1].", nameof(pValues));
            }

            adjusted[i] = Math.Min(1.0, p * numberOfTests);
        }

        return adjusted;
    }

    /// <summary>Per-test significance threshold α / m under the Bonferroni correction.</summary>
    /// <param name="alpha">Family-wise error rate in (0, 1).</param>
    /// <param name="numberOfTests">Family size m, at least 1.</param>
    public static double BonferroniThreshold(double alpha, int numberOfTests)
    {
        if (!(alpha > 0.0 && alpha < 1.0))
        {
            throw new ArgumentException($"alpha must lie strictly between 0 and 1; got {alpha}.", nameof(alpha));
        }

        InputGuard.AtLeast(numberOfTests, 1, nameof(numberOfTests));
        return alpha / numberOfTests;
    }
}
