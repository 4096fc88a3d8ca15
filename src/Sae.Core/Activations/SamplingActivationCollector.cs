using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// A sampler observer that keeps the residual activations of every denoising step of a real sampling run (per-step
/// activations, DLM-Scope §5), at the requested sites and positions. The position policy reads the step's input: a
/// position is "masked" if it held the mask token when the step's forward pass ran. Each kept row is labelled with the
/// step's diffusion time (in <see cref="ActivationBatch.MaskRate"/>).
/// </summary>
public sealed class SamplingActivationCollector : ISamplerObserver, IDisposable
{
    private readonly List<ActivationBatch> _collected = new();

    /// <summary>Creates the collector.</summary>
    /// <param name="sites">Residual sites to read.</param>
    /// <param name="policy">Which positions to keep.</param>
    /// <param name="promptLength">Positions before this index (the prompt) are never kept.</param>
    /// <param name="padTokenId">Positions holding this id are padding and never kept.</param>
    public SamplingActivationCollector(IReadOnlyList<ResidualSite> sites, PositionPolicy policy = PositionPolicy.Masked, int promptLength = 0, long? padTokenId = null)
    {
        if (sites.Count == 0) throw new ArgumentException("give at least one residual site", nameof(sites));
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown position policy");
        ArgumentOutOfRangeException.ThrowIfNegative(promptLength);
        Sites = sites.Distinct().OrderBy(s => s.Layer).ThenBy(s => s.Point).ToList();
        Policy = policy;
        PromptLength = promptLength;
        PadTokenId = padTokenId;
    }

    /// <summary>The sites read.</summary>
    public IReadOnlyList<ResidualSite> Sites { get; }
    /// <summary>The position policy.</summary>
    public PositionPolicy Policy { get; }
    /// <summary>Positions before this index are excluded.</summary>
    public int PromptLength { get; }
    /// <summary>Padding id excluded from every policy.</summary>
    public long? PadTokenId { get; }

    /// <summary>Rows collected and not yet taken.</summary>
    public long Count => _collected.Sum(b => b.Count);

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> HiddenStateRequests => Sites;

    /// <inheritdoc />
    public void OnStep(SamplerStep step)
    {
        using var scope = NewDisposeScope();
        var context = step.Context;
        var sequence = context.Sequence;
        var masked = context.MaskedPositions;
        var shape = sequence.shape;
        long rows = shape[0], length = shape[1];
        var candidate = ones([rows, length], ScalarType.Bool, sequence.device);
        if (PromptLength > 0) candidate = candidate.logical_and(arange(0, length, ScalarType.Int64, sequence.device).ge(PromptLength).unsqueeze(0));
        if (PadTokenId is { } pad) candidate = candidate.logical_and(sequence.ne(pad).logical_or(masked));
        var keep = Policy switch
        {
            PositionPolicy.Masked => candidate.logical_and(masked),
            PositionPolicy.Unmasked => candidate.logical_and(masked.logical_not()),
            _ => candidate,
        };
        var index = keep.reshape(-1).nonzero().squeeze(1);
        var n = index.numel();
        if (n == 0) return;
        var activations = new Dictionary<ResidualSite, Tensor>();
        foreach (var site in Sites)
        {
            if (!step.HiddenStates.TryGetValue(site, out var hidden))
                throw new InvalidOperationException($"the sampler did not provide hidden states at {site.Key()}");
            activations[site] = hidden.reshape(-1, hidden.size(-1)).index_select(0, index).to(CPU, ScalarType.Float32, copy: true);
        }
        var rate = full([n], context.Time, ScalarType.Float32);
        var flags = masked.reshape(-1).index_select(0, index).cpu();
        _collected.Add(new ActivationBatch(activations, rate, flags));
    }

    /// <summary>Everything collected so far as one batch (null when empty); the collector is emptied.</summary>
    public ActivationBatch? TakeBatch()
    {
        if (_collected.Count == 0) return null;
        var batch = ActivationBatch.Concat(_collected);
        Clear();
        return batch;
    }

    /// <summary>Discards what was collected.</summary>
    public void Clear()
    {
        foreach (var b in _collected) b.Dispose();
        _collected.Clear();
    }

    /// <summary>Frees what was collected.</summary>
    public void Dispose() => Clear();
}
