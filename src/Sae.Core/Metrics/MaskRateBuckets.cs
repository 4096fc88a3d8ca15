namespace DiffusionSteering.Sae.Core.Metrics;

/// <summary>
/// Half-open mask-rate intervals [eᵢ, eᵢ₊₁) (the last one closed) that metrics are also reported for. Rates outside
/// every interval are counted only in the overall figures.
/// </summary>
public sealed class MaskRateBuckets
{
    /// <summary>Creates buckets from strictly increasing edges (at least two).</summary>
    public MaskRateBuckets(IReadOnlyList<double> edges)
    {
        if (edges.Count < 2) throw new ArgumentException("give at least two bucket edges", nameof(edges));
        for (var i = 1; i < edges.Count; i++)
            if (!(edges[i] > edges[i - 1])) throw new ArgumentException("bucket edges must be strictly increasing", nameof(edges));
        Edges = edges.ToArray();
    }

    /// <summary>The edges.</summary>
    public IReadOnlyList<double> Edges { get; }

    /// <summary>Number of buckets.</summary>
    public int Count => Edges.Count - 1;

    /// <summary>Ten equal buckets over [0, 1].</summary>
    public static MaskRateBuckets Deciles { get; } = new([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);

    /// <summary>DLM-Scope's training range [0.05, 0.5] in thirds: [0.05, 0.2), [0.2, 0.35), [0.35, 0.5].</summary>
    public static MaskRateBuckets DlmScopeThirds { get; } = new([0.05, 0.2, 0.35, 0.5]);

    /// <summary>The bucket of a rate, or −1 when outside.</summary>
    public int IndexOf(double rate)
    {
        if (double.IsNaN(rate) || rate < Edges[0] || rate > Edges[^1]) return -1;
        for (var i = 0; i < Count; i++)
            if (rate < Edges[i + 1]) return i;
        return Count - 1;
    }

    /// <summary>Lower and upper edge of bucket <paramref name="index"/>.</summary>
    public (double Low, double High) this[int index] => (Edges[index], Edges[index + 1]);
}
