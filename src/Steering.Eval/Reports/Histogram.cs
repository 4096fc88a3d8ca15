namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>A histogram with equal-width bins: <see cref="Edges"/> has one more entry than <see cref="Counts"/>.</summary>
public sealed record Histogram
{
    /// <summary>Creates a histogram from bin edges (strictly increasing) and counts.</summary>
    public Histogram(IReadOnlyList<double> edges, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count == 0) throw new ArgumentException("A histogram needs at least one bin.", nameof(counts));
        if (edges.Count != counts.Count + 1)
            throw new ArgumentException($"Length mismatch: {counts.Count} bins need {counts.Count + 1} edges, got {edges.Count}.", nameof(edges));
        Markup.RequireFinite(edges, "histogram edges", nameof(edges));
        for (var i = 1; i < edges.Count; i++)
            if (!(edges[i] > edges[i - 1])) throw new ArgumentException($"Histogram edges must increase; edge {i} ({edges[i]}) ≤ edge {i - 1}.", nameof(edges));
        for (var i = 0; i < counts.Count; i++)
            if (counts[i] < 0) throw new ArgumentException($"Bin {i} has a negative count ({counts[i]}).", nameof(counts));
        Edges = edges.ToArray();
        Counts = counts.ToArray();
    }

    /// <summary>Bin edges.</summary>
    public IReadOnlyList<double> Edges { get; }

    /// <summary>Values per bin.</summary>
    public IReadOnlyList<long> Counts { get; }

    /// <summary>Bin midpoints (SAE-Vis / Neuronpedia <c>bar_values</c>).</summary>
    public IReadOnlyList<double> Centers => Enumerable.Range(0, Counts.Count).Select(i => (Edges[i] + Edges[i + 1]) / 2).ToArray();

    /// <summary>Total count.</summary>
    public long Total => Counts.Sum();

    /// <summary>
    /// Bins finite values into <paramref name="bins"/> equal bins over [min, max] (the data range when not given; a
    /// value equal to the top edge goes to the last bin). When all values are equal the range is value ± ½.
    /// </summary>
    public static Histogram Compute(IReadOnlyList<double> values, int bins = 50, double? min = null, double? max = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("Cannot build a histogram of an empty sequence.", nameof(values));
        if (bins < 1) throw new ArgumentException($"bins must be at least 1; got {bins}.", nameof(bins));
        Markup.RequireFinite(values, "histogram values", nameof(values));
        var lo = min ?? values.Min();
        var hi = max ?? values.Max();
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) throw new ArgumentException("Histogram range must be finite.");
        if (hi < lo) throw new ArgumentException($"Histogram range is empty: max {hi} < min {lo}.");
        if (hi == lo)
        {
            lo -= 0.5;
            hi += 0.5;
        }
        var width = (hi - lo) / bins;
        var edges = Enumerable.Range(0, bins + 1).Select(i => i == bins ? hi : lo + i * width).ToArray();
        var counts = new long[bins];
        foreach (var v in values)
        {
            if (v < lo || v > hi) continue;
            counts[Math.Min((int)((v - lo) / width), bins - 1)]++;
        }
        return new Histogram(edges, counts);
    }
}

/// <summary>
/// Activation density of a feature (SAE-Vis' activation histogram): the histogram of its non-zero activations and the
/// fraction of tokens where it is non-zero.
/// </summary>
/// <param name="NonZero">Histogram of the non-zero activations, or null when the feature never fired.</param>
/// <param name="FractionNonZero">Fraction of tokens with a non-zero activation.</param>
/// <param name="Tokens">Tokens seen.</param>
public sealed record ActivationDensity(Histogram? NonZero, double FractionNonZero, long Tokens)
{
    /// <summary>Computes the density from one activation per token (zeros included).</summary>
    public static ActivationDensity Compute(IReadOnlyList<double> activations, int bins = 50)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Count == 0) throw new ArgumentException("Cannot compute the density of an empty activation list.", nameof(activations));
        Markup.RequireFinite(activations, "activations", nameof(activations));
        var nonZero = activations.Where(a => a != 0).ToArray();
        return new ActivationDensity(nonZero.Length == 0 ? null : Histogram.Compute(nonZero, bins, Math.Min(0, nonZero.Min()), nonZero.Max()),
            (double)nonZero.Length / activations.Count, activations.Count);
    }
}
