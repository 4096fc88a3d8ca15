namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>A scalar statistic of one sample (e.g. the mean), evaluated on the data and on bootstrap resamples.</summary>
/// <param name="sample">The (re)sampled values; do not retain the span.</param>
/// <returns>The statistic's value.</returns>
public delegate double SampleStatistic(ReadOnlySpan<double> sample);
