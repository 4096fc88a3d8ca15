namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Seeded, deterministic non-parametric bootstrap (percentile intervals).</summary>
/// <remarks>
/// Resample indices come from <see cref="Xoshiro256StarStar"/> seeded with <see cref="BootstrapOptions.Seed"/>, so results
/// are identical across runs and runtimes. The percentile interval takes the (1 − level)/2 and (1 + level)/2 empirical
/// quantiles (type-7 interpolation) of the B bootstrap replicates.
/// </remarks>
public static class Bootstrap
{
    /// <summary>The arithmetic mean, the default statistic.</summary>
    /// <param name="sample">Values (non-empty).</param>
    public static double Mean(ReadOnlySpan<double> sample)
    {
        double sum = 0;
        foreach (double v in sample)
        {
            sum += v;
        }

        return sum / sample.Length;
    }

    /// <summary>Percentile bootstrap confidence interval for a statistic of one sample.</summary>
    /// <param name="sample">Observed values (non-empty, finite).</param>
    /// <param name="statistic">Statistic to bootstrap; the mean when null.</param>
    /// <param name="options">Resamples, level and seed; <see cref="BootstrapOptions.Default"/> when null.</param>
    public static ConfidenceInterval Percentile(ReadOnlySpan<double> sample, SampleStatistic? statistic = null, BootstrapOptions? options = null)
    {
        InputGuard.NonEmptyFinite(sample, nameof(sample));
        options ??= BootstrapOptions.Default;
        options.Validate();
        statistic ??= Mean;

        double estimate = statistic(sample);
        var rng = new Xoshiro256StarStar(options.Seed);
        var replicates = new double[options.Resamples];
        var buffer = new double[sample.Length];
        for (int r = 0; r < replicates.Length; r++)
        {
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = sample[rng.NextInt(sample.Length)];
            }

            replicates[r] = statistic(buffer);
        }

        return Interval(estimate, replicates, options.ConfidenceLevel);
    }

    /// <summary>
    /// Paired bootstrap interval for stat(a) − stat(b) where a[i] and b[i] are two methods measured on the same unit i:
    /// each replicate resamples units (the same indices for both methods), preserving the pairing.
    /// </summary>
    /// <param name="a">Scores of method A per unit (non-empty, finite).</param>
    /// <param name="b">Scores of method B on the same units (same length, finite).</param>
    /// <param name="statistic">Per-method statistic; the mean when null.</param>
    /// <param name="options">Resamples, level and seed; <see cref="BootstrapOptions.Default"/> when null.</param>
    public static ConfidenceInterval PairedDifference(
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, SampleStatistic? statistic = null, BootstrapOptions? options = null)
    {
        InputGuard.NonEmptyFinite(a, nameof(a));
        InputGuard.SameLength(a.Length, b.Length, nameof(b));
        InputGuard.AllFinite(b, nameof(b));
        options ??= BootstrapOptions.Default;
        options.Validate();
        statistic ??= Mean;

        double estimate = statistic(a) - statistic(b);
        var rng = new Xoshiro256StarStar(options.Seed);
        var replicates = new double[options.Resamples];
        var bufferA = new double[a.Length];
        var bufferB = new double[b.Length];
        for (int r = 0; r < replicates.Length; r++)
        {
            for (int i = 0; i < bufferA.Length; i++)
            {
                int k = rng.NextInt(a.Length);
                bufferA[i] = a[k];
                bufferB[i] = b[k];
            }

            replicates[r] = statistic(bufferA) - statistic(bufferB);
        }

        return Interval(estimate, replicates, options.ConfidenceLevel);
    }

    /// <summary>
    /// Compares two methods on the same units: paired-bootstrap interval of the mean difference (a − b) plus the
    /// sign-flip permutation p-value of <see cref="PairedPermutationTest.SignFlip"/>.
    /// </summary>
    /// <param name="a">Scores of method A per unit.</param>
    /// <param name="b">Scores of method B on the same units.</param>
    /// <param name="options">Bootstrap settings (its seed also drives the permutation test).</param>
    /// <param name="permutations">Random sign-flip count when exact enumeration (2^n) is larger.</param>
    public static PairedComparison ComparePaired(
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, BootstrapOptions? options = null, int permutations = PairedPermutationTest.DefaultPermutations)
    {
        options ??= BootstrapOptions.Default;
        ConfidenceInterval difference = PairedDifference(a, b, null, options);
        PermutationTestResult test = PairedPermutationTest.SignFlip(a, b, permutations, options.Seed);
        return new PairedComparison(difference, test.PValue, test.IsExact);
    }

    /// <summary>Builds the percentile interval from raw replicates (sorted in place).</summary>
    internal static ConfidenceInterval Interval(double estimate, double[] replicates, double level)
    {
        foreach (double v in replicates)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("The statistic returned a non-finite value on a bootstrap resample; it must be defined for every resample.");
            }
        }

        Array.Sort(replicates);
        double tail = (1.0 - level) / 2.0;
        return new ConfidenceInterval(
            estimate,
            Quantile.OfSorted(replicates, tail),
            Quantile.OfSorted(replicates, 1.0 - tail),
            level);
    }
}
