namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Settings shared by the bootstrap procedures.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Number of bootstrap resamples B (default 2,000, at least 10).</summary>
    public int Resamples { get; init; } = 2000;

    /// <summary>Two-sided confidence level in (0, 1) (default 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Seed of the <see cref="Xoshiro256StarStar"/> stream that draws the resample indices (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>Default settings.</summary>
    public static BootstrapOptions Default { get; } = new();

    internal void Validate()
    {
        if (Resamples < 10)
        {
            throw new ArgumentException($"At least 10 bootstrap resamples are required; got {Resamples}.", nameof(Resamples));
        }

        InputGuard.ConfidenceLevel(ConfidenceLevel, nameof(ConfidenceLevel));
    }
}
