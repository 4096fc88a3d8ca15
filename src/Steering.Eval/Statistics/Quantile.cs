namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Empirical quantiles.</summary>
internal static class Quantile
{
    /// <summary>
    /// Quantile of an ascending-sorted sample by linear interpolation between order statistics
    /// (Hyndman and Fan type 7, the default of R and NumPy): h = (n − 1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋]).
    /// </summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double probability)
    {
        if (sorted.Length == 1)
        {
            return sorted[0];
        }

        double h = (sorted.Length - 1) * probability;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1)
        {
            return sorted[^1];
        }

        double frac = h - lo;
        return sorted[lo] + (frac * (sorted[lo + 1] - sorted[lo]));
    }
}
