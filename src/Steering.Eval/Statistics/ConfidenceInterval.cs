namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>A point estimate with a two-sided confidence interval.</summary>
/// <param name="Estimate">Statistic computed on the full (non-resampled) data.</param>
/// <param name="Lower">Lower confidence bound.</param>
/// <param name="Upper">Upper confidence bound.</param>
/// <param name="Level">Nominal coverage, e.g. 0.95.</param>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, double Level)
{
    /// <summary>Whether <paramref name="value"/> lies within [<see cref="Lower"/>, <see cref="Upper"/>].</summary>
    /// <param name="value">Value to test.</param>
    public bool Contains(double value) => value >= Lower && value <= Upper;

    /// <summary>Interval width, <see cref="Upper"/> − <see cref="Lower"/>.</summary>
    public double Width => Upper - Lower;
}
