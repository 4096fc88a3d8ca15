using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.DecodingOrder;

/// <summary>The decoding-order metrics of one layer (DLM-Scope Eqs. 20–24; see <see cref="DecodingOrderMath"/>).</summary>
public sealed class DecodingOrderLayerResult
{
    internal DecodingOrderLayerResult(int layer, DecodingOrderOptions options, int runs, int sequences, DecodingOrderSeries preMaskStability,
        DecodingOrderSeries postDecodeDrift, DecodingOrderSeries lockRate, DecodingOrderSeries flipRate, DecodingOrderSeries flipCount, int[] flipCounts)
    {
        Layer = layer;
        Options = options;
        Runs = runs;
        Sequences = sequences;
        PreMaskStability = preMaskStability;
        PostDecodeDrift = postDecodeDrift;
        LockRate = lockRate;
        PostDecodeFlipRate = flipRate;
        FlipCount = flipCount;
        FlipCounts = flipCounts;
    }

    /// <summary>Block index.</summary>
    public int Layer { get; }

    /// <summary>The settings used.</summary>
    public DecodingOrderOptions Options { get; }

    /// <summary>Sampling runs observed.</summary>
    public int Runs { get; }

    /// <summary>Sequences (rows of all runs), the units of the bootstrap.</summary>
    public int Sequences { get; }

    /// <summary>
    /// Eq. 20: mean Jaccard of consecutive top-K sets over (i, k) with i masked at steps k and k − 1 (per step: S^pre(k)).
    /// </summary>
    public DecodingOrderSeries PreMaskStability { get; }

    /// <summary>Eq. 21: mean 1 − Jaccard over (i, k &gt; τᵢ), against step k − 1 or τᵢ (<see cref="DecodingOrderOptions.Drift"/>).</summary>
    public DecodingOrderSeries PostDecodeDrift { get; }

    /// <summary>Eq. 23: fraction of masked transitions (i masked at k and k − 1) whose top-1 latent did not change.</summary>
    public DecodingOrderSeries LockRate { get; }

    /// <summary>Per post-decode transition (i, k &gt; τᵢ): the fraction whose top-1 latent changed (Eq. 24's indicator).</summary>
    public DecodingOrderSeries PostDecodeFlipRate { get; }

    /// <summary>
    /// Eq. 24: flips per decoded position, Σ_{k&gt;τᵢ} 1[top1⁽ᵏ⁾ ≠ top1⁽ᵏ⁻¹⁾]; its step axis is the decode step τᵢ (mean flip
    /// count of the positions decoded at τ), its mean the mean flip count per decoded position.
    /// </summary>
    public DecodingOrderSeries FlipCount { get; }

    /// <summary>Flip count of every decoded position (sequences in order, positions in order).</summary>
    public IReadOnlyList<int> FlipCounts { get; }

    /// <summary>Mean flip count per decoded position (NaN when no position was decoded while observed).</summary>
    public double MeanFlipCount => FlipCount.Mean;

    /// <summary>The five series in a fixed order (pre-mask stability, drift, lock rate, flip rate, flip count).</summary>
    public IReadOnlyList<DecodingOrderSeries> AllSeries => [PreMaskStability, PostDecodeDrift, LockRate, PostDecodeFlipRate, FlipCount];

    /// <summary>Pooled estimates with sequence-level bootstrap intervals, one per series (null interval where undefined).</summary>
    public IReadOnlyList<(string Metric, double Estimate, ConfidenceInterval? Interval)> Summary(BootstrapOptions? options = null) =>
        AllSeries.Select(s => (s.Name, s.Mean, s.Interval(options))).ToArray();
}

/// <summary>The decoding-order metrics of every observed layer.</summary>
/// <param name="Layers">One result per layer, in the order the sites were given.</param>
public sealed record DecodingOrderResult(IReadOnlyList<DecodingOrderLayerResult> Layers)
{
    /// <summary>
    /// A layer × progress-bin matrix of one metric (rows in <see cref="Layers"/> order; NaN where a bin is empty), for a
    /// heatmap.
    /// </summary>
    /// <param name="metric">Picks the series, e.g. <c>r =&gt; r.LockRate</c>.</param>
    public double[,] LayerByProgress(Func<DecodingOrderLayerResult, DecodingOrderSeries> metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (Layers.Count == 0) throw new ArgumentException("The result has no layer.");
        var bins = Layers.Max(l => metric(l).ByProgress.Count);
        var result = new double[Layers.Count, bins];
        for (var r = 0; r < Layers.Count; r++)
        {
            var series = metric(Layers[r]).ByProgress;
            for (var b = 0; b < bins; b++) result[r, b] = b < series.Count ? series[b] : double.NaN;
        }
        return result;
    }

    /// <summary>A layer × step matrix of one metric (NaN where a step has no contribution), for a heatmap.</summary>
    /// <param name="metric">Picks the series.</param>
    public double[,] LayerByStep(Func<DecodingOrderLayerResult, DecodingOrderSeries> metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (Layers.Count == 0) throw new ArgumentException("The result has no layer.");
        var steps = Layers.Max(l => metric(l).ByStep.Count);
        var result = new double[Layers.Count, steps];
        for (var r = 0; r < Layers.Count; r++)
        {
            var series = metric(Layers[r]).ByStep;
            for (var k = 0; k < steps; k++) result[r, k] = k < series.Count ? series[k] : double.NaN;
        }
        return result;
    }
}
