namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// Parameters of the contrastive feature-selection pipeline; the defaults are paper b's App. C.5.2 values
/// (top 300 by |d|, Mann–Whitney p &lt; 0.01 Bonferroni-corrected over the tested set, keep 50 + 50, steer with 20 + 20).
/// </summary>
public sealed record ContrastiveSelectionOptions
{
    /// <summary>Number M of top-|d| features passed to the Mann–Whitney test (default 300).</summary>
    public int CandidateCount { get; init; } = 300;

    /// <summary>Family-wise significance level applied to Bonferroni-adjusted p-values (default 0.01).</summary>
    public double Alpha { get; init; } = 0.01;

    /// <summary>Significant features kept per direction, strongest |d| first (default 50).</summary>
    public int KeepPerDirection { get; init; } = 50;

    /// <summary>Leading kept features per direction that form the steering set (default 20); at most <see cref="KeepPerDirection"/>.</summary>
    public int SteerPerDirection { get; init; } = 20;

    /// <summary>
    /// Extra requirement |d| &gt; this value for significance (default 0, i.e. off). Paper b's layer-selection step
    /// (App. C.3) uses 0.05.
    /// </summary>
    public double MinAbsEffectSize { get; init; }

    /// <summary>Pooling of the Cohen's d denominator (default <see cref="CohensDPooling.Averaged"/>, paper b Eq. 16).</summary>
    public CohensDPooling Pooling { get; init; } = CohensDPooling.Averaged;

    /// <summary>Apply the Mann–Whitney continuity correction (default true).</summary>
    public bool ContinuityCorrection { get; init; } = true;

    /// <summary>The paper-b defaults.</summary>
    public static ContrastiveSelectionOptions Default { get; } = new();

    internal void Validate()
    {
        InputGuard.AtLeast(CandidateCount, 1, nameof(CandidateCount));
        InputGuard.AtLeast(KeepPerDirection, 0, nameof(KeepPerDirection));
        InputGuard.AtLeast(SteerPerDirection, 0, nameof(SteerPerDirection));
        if (SteerPerDirection > KeepPerDirection)
        {
            throw new ArgumentException(
                $"SteerPerDirection ({SteerPerDirection}) cannot exceed KeepPerDirection ({KeepPerDirection}).", nameof(SteerPerDirection));
        }

        if (!(Alpha > 0.0 && Alpha < 1.0))
        {
            throw new ArgumentException($"Alpha must lie strictly between 0 and 1; got {Alpha}.", nameof(Alpha));
        }

        if (!(MinAbsEffectSize >= 0.0) || double.IsInfinity(MinAbsEffectSize))
        {
            throw new ArgumentException($"MinAbsEffectSize must be a finite non-negative number; got {MinAbsEffectSize}.", nameof(MinAbsEffectSize));
        }
    }
}
