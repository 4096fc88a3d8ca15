using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.DecodingOrder;

/// <summary>
/// One decoding-order metric of one layer: a pooled mean over contributions (position–step pairs, or decoded positions
/// for the flip count), broken down by step index k, by normalised progress k/T, and by sequence (the unit of the
/// bootstrap). Entries with no contribution are NaN (their count is 0).
/// </summary>
public sealed class DecodingOrderSeries
{
    internal DecodingOrderSeries(string name, double[] stepSums, long[] stepCounts, double[] binSums, long[] binCounts, double[] unitSums, long[] unitCounts)
    {
        Name = name;
        StepCounts = stepCounts;
        ByStep = Ratios(stepSums, stepCounts);
        ProgressCounts = binCounts;
        ByProgress = Ratios(binSums, binCounts);
        ProgressBinCenters = Enumerable.Range(0, binCounts.Length).Select(b => (b + 0.5) / binCounts.Length).ToArray();
        UnitSums = unitSums;
        UnitCounts = unitCounts;
        Count = unitCounts.Sum();
        Sum = unitSums.Sum();
        Mean = Count == 0 ? double.NaN : Sum / Count;
    }

    /// <summary>Metric name.</summary>
    public string Name { get; }

    /// <summary>Pooled mean Σ value / Σ count over every contribution (NaN when there is none).</summary>
    public double Mean { get; }

    /// <summary>Sum of the contributions.</summary>
    public double Sum { get; }

    /// <summary>Number of contributions.</summary>
    public long Count { get; }

    /// <summary>Mean per step index k (NaN where the step had no contribution).</summary>
    public IReadOnlyList<double> ByStep { get; }

    /// <summary>Contributions per step index.</summary>
    public IReadOnlyList<long> StepCounts { get; }

    /// <summary>Mean per bin of normalised progress k/T (NaN where empty).</summary>
    public IReadOnlyList<double> ByProgress { get; }

    /// <summary>Contributions per progress bin.</summary>
    public IReadOnlyList<long> ProgressCounts { get; }

    /// <summary>Centre of each progress bin, (b + ½)/B.</summary>
    public IReadOnlyList<double> ProgressBinCenters { get; }

    /// <summary>Sum of contributions per sequence (rows of all runs, in order).</summary>
    public IReadOnlyList<double> UnitSums { get; }

    /// <summary>Contributions per sequence.</summary>
    public IReadOnlyList<long> UnitCounts { get; }

    /// <summary>
    /// Percentile-bootstrap interval of <see cref="Mean"/> that resamples whole sequences (a cluster bootstrap: position–step
    /// pairs within a sequence are not independent) and recomputes the pooled ratio; null when there is no contribution.
    /// </summary>
    /// <param name="options">Resamples, level, seed; defaults when null.</param>
    public ConfidenceInterval? Interval(BootstrapOptions? options = null)
    {
        options ??= BootstrapOptions.Default;
        options.Validate();
        if (Count == 0) return null;
        var units = Enumerable.Range(0, UnitCounts.Count).Where(u => UnitCounts[u] > 0).ToArray();
        var rng = new Xoshiro256StarStar(options.Seed);
        var replicates = new double[options.Resamples];
        for (var r = 0; r < replicates.Length; r++)
        {
            double sum = 0;
            long count = 0;
            for (var i = 0; i < units.Length; i++)
            {
                var u = units[rng.NextInt(units.Length)];
                sum += UnitSums[u];
                count += UnitCounts[u];
            }
            replicates[r] = sum / count;
        }
        return Bootstrap.Interval(Mean, replicates, options.ConfidenceLevel);
    }

    /// <summary>(bin centre, mean) of the non-empty progress bins, for plotting.</summary>
    public (double[] X, double[] Y) ProgressCurve()
    {
        var keep = Enumerable.Range(0, ProgressCounts.Count).Where(b => ProgressCounts[b] > 0).ToArray();
        return (keep.Select(b => ProgressBinCenters[b]).ToArray(), keep.Select(b => ByProgress[b]).ToArray());
    }

    /// <summary>(step, mean) of the non-empty steps, for plotting.</summary>
    public (double[] X, double[] Y) StepCurve()
    {
        var keep = Enumerable.Range(0, StepCounts.Count).Where(k => StepCounts[k] > 0).ToArray();
        return (keep.Select(k => (double)k).ToArray(), keep.Select(k => ByStep[k]).ToArray());
    }

    private static double[] Ratios(double[] sums, long[] counts)
    {
        var result = new double[sums.Length];
        for (var i = 0; i < sums.Length; i++) result[i] = counts[i] == 0 ? double.NaN : sums[i] / counts[i];
        return result;
    }
}

/// <summary>Accumulates one <see cref="DecodingOrderSeries"/>.</summary>
internal sealed class SeriesAccumulator(string name, int bins)
{
    private readonly List<double> _stepSums = new();
    private readonly List<long> _stepCounts = new();
    private readonly double[] _binSums = new double[bins];
    private readonly long[] _binCounts = new long[bins];
    private readonly List<double> _unitSums = new();
    private readonly List<long> _unitCounts = new();

    /// <summary>Makes sure sequence <paramref name="unit"/> has an entry (sequences without contributions still count as units).</summary>
    public void EnsureUnit(int unit)
    {
        while (_unitSums.Count <= unit)
        {
            _unitSums.Add(0);
            _unitCounts.Add(0);
        }
    }

    /// <summary>Adds one contribution at step <paramref name="step"/> of a <paramref name="totalSteps"/>-step run.</summary>
    public void Add(int unit, int step, int totalSteps, double value)
    {
        EnsureUnit(unit);
        while (_stepSums.Count <= step)
        {
            _stepSums.Add(0);
            _stepCounts.Add(0);
        }
        _stepSums[step] += value;
        _stepCounts[step]++;
        var bin = DecodingOrderMath.ProgressBin(step, totalSteps, bins);
        _binSums[bin] += value;
        _binCounts[bin]++;
        _unitSums[unit] += value;
        _unitCounts[unit]++;
    }

    public DecodingOrderSeries Build() =>
        new(name, _stepSums.ToArray(), _stepCounts.ToArray(), (double[])_binSums.Clone(), (long[])_binCounts.Clone(), _unitSums.ToArray(), _unitCounts.ToArray());
}
