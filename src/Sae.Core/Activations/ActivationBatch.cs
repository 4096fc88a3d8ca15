using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// Activations of N kept positions, read at one or more residual sites in the same forward pass (row i is the same
/// position at every site), with the mask rate of the sequence each came from and whether it was masked. Owns its
/// tensors (they are detached from every dispose scope): dispose it.
/// </summary>
public sealed class ActivationBatch : IDisposable
{
    private readonly Dictionary<ResidualSite, Tensor> _activations;

    /// <summary>Takes ownership of the tensors (detaching them from their dispose scopes).</summary>
    /// <param name="activations">Per site, [N, d] (float32).</param>
    /// <param name="maskRate">[N] float32: the mask rate t of the row the position came from (sampling: the step's time).</param>
    /// <param name="masked">[N] bool: whether the position held the mask token in the forward input.</param>
    public ActivationBatch(IReadOnlyDictionary<ResidualSite, Tensor> activations, Tensor maskRate, Tensor masked)
    {
        if (activations.Count == 0) throw new ArgumentException("an activation batch needs at least one site", nameof(activations));
        var n = maskRate.shape is [var rows] ? rows : throw new ArgumentException($"mask rate must be [N], got {Describe(maskRate.shape)}");
        if (!masked.shape.SequenceEqual(new[] { n })) throw new ArgumentException($"masked flags must be [{n}], got {Describe(masked.shape)}");
        if (masked.dtype != ScalarType.Bool) throw new ArgumentException($"masked flags must be bool, got {masked.dtype}");
        long? width = null;
        foreach (var (site, t) in activations)
        {
            if (t.shape is not [var r, var d] || r != n)
                throw new ArgumentException($"activations at {site.Key()} must be [{n}, d], got {Describe(t.shape)}");
            if (width is { } w && w != d) throw new ArgumentException($"sites disagree on the width: {w} and {d}");
            width = d;
        }
        _activations = activations.ToDictionary(kv => kv.Key, kv => kv.Value.DetachFromDisposeScope());
        MaskRate = maskRate.DetachFromDisposeScope();
        Masked = masked.DetachFromDisposeScope();
        Count = n;
        Width = width!.Value;
        Sites = _activations.Keys.OrderBy(s => s.Layer).ThenBy(s => s.Point).ToList();
    }

    /// <summary>Number of positions N.</summary>
    public long Count { get; }

    /// <summary>Activation width d.</summary>
    public long Width { get; }

    /// <summary>The sites, ordered by layer then hook point.</summary>
    public IReadOnlyList<ResidualSite> Sites { get; }

    /// <summary>Per-site activations [N, d].</summary>
    public IReadOnlyDictionary<ResidualSite, Tensor> Activations => _activations;

    /// <summary>The activations [N, d] at one site.</summary>
    public Tensor this[ResidualSite site] =>
        _activations.TryGetValue(site, out var t) ? t : throw new KeyNotFoundException($"this batch has no activations at {site.Key()}");

    /// <summary>[N] float32 mask rate of each position's sequence.</summary>
    public Tensor MaskRate { get; }

    /// <summary>[N] bool: masked in the forward input.</summary>
    public Tensor Masked { get; }

    /// <summary>Rows [start, start + length) as a new batch (copies).</summary>
    public ActivationBatch Slice(long start, long length)
    {
        using var scope = NewDisposeScope();
        return new ActivationBatch(
            _activations.ToDictionary(kv => kv.Key, kv => kv.Value.narrow(0, start, length).clone()),
            MaskRate.narrow(0, start, length).clone(), Masked.narrow(0, start, length).clone());
    }

    /// <summary>The rows at <paramref name="index"/> (int64 [M]) as a new batch.</summary>
    public ActivationBatch Select(Tensor index)
    {
        using var scope = NewDisposeScope();
        return new ActivationBatch(
            _activations.ToDictionary(kv => kv.Key, kv => kv.Value.index_select(0, index)),
            MaskRate.index_select(0, index), Masked.index_select(0, index));
    }

    /// <summary>Concatenates batches with the same sites (rows in order).</summary>
    public static ActivationBatch Concat(IReadOnlyList<ActivationBatch> batches)
    {
        if (batches.Count == 0) throw new ArgumentException("nothing to concatenate", nameof(batches));
        var sites = batches[0].Sites;
        foreach (var b in batches)
            if (!b.Sites.SequenceEqual(sites)) throw new ArgumentException("batches read different sites");
        using var scope = NewDisposeScope();
        return new ActivationBatch(
            sites.ToDictionary(s => s, s => cat(batches.Select(b => b[s]).ToList(), 0)),
            cat(batches.Select(b => b.MaskRate).ToList(), 0), cat(batches.Select(b => b.Masked).ToList(), 0));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _activations.Values) t.Dispose();
        MaskRate.Dispose();
        Masked.Dispose();
    }

    private static string Describe(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
