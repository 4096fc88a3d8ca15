using DiffusionSteering.Diffusion.Models.Architectures.Mdlm;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>How a <see cref="DenoiserActivationSource"/> corrupts sequences and which activations it keeps.</summary>
public sealed record ActivationSourceOptions
{
    /// <summary>The residual sites read in each forward pass (one or more; all in the same pass).</summary>
    public required IReadOnlyList<ResidualSite> Sites { get; init; }
    /// <summary>Which positions are kept (DLM-Scope Mask-SAE / Unmask-SAE).</summary>
    public PositionPolicy Policy { get; init; } = PositionPolicy.Masked;
    /// <summary>Lowest mask rate t (DLM-Scope: 0.05).</summary>
    public double MaskRateMin { get; init; } = 0.05;
    /// <summary>Highest mask rate t (DLM-Scope: 0.5).</summary>
    public double MaskRateMax { get; init; } = 0.5;
    /// <summary>Never mask the first token (BOS), as DLM-Scope.</summary>
    public bool ProtectFirstToken { get; init; } = true;
    /// <summary>Drop position 0's activations under every policy (attention-sink outliers).</summary>
    public bool ExcludeFirstToken { get; init; }
    /// <summary>Sequences per model forward.</summary>
    public int SequencesPerForward { get; init; } = 8;
    /// <summary>Seed of the corruption generator (mask rates and masked positions).</summary>
    public ulong Seed { get; init; }
    /// <summary>Start over at the first sequence after the last one (otherwise the source ends).</summary>
    public bool Repeat { get; init; } = true;
    /// <summary>Padding id for batches of unequal lengths (default: the model's pad, else EOS, else 0).</summary>
    public long? PadTokenId { get; init; }
    /// <summary>Abort each forward pass right after the deepest requested site (the later blocks are not run).</summary>
    public bool StopAfterLastSite { get; init; } = true;
    /// <summary>Model name recorded in the SAE metadata.</summary>
    public string? ModelName { get; init; }

    internal void Validate(DenoiserSpec spec)
    {
        if (Sites.Count == 0) throw new ArgumentException("give at least one residual site", nameof(Sites));
        foreach (var s in Sites)
            if (s.Layer < 0 || s.Layer >= spec.NumLayers) throw new ArgumentOutOfRangeException(nameof(Sites), $"layer {s.Layer} is outside the model's {spec.NumLayers} blocks");
        if (Sites.Distinct().Count() != Sites.Count) throw new ArgumentException("a site is listed twice", nameof(Sites));
        if (!(MaskRateMin >= 0 && MaskRateMax <= 1 && MaskRateMin <= MaskRateMax))
            throw new ArgumentOutOfRangeException(nameof(MaskRateMin), $"need 0 ≤ t_min ≤ t_max ≤ 1, got [{MaskRateMin}, {MaskRateMax}]");
        ArgumentOutOfRangeException.ThrowIfLessThan(SequencesPerForward, 1, nameof(SequencesPerForward));
        if (!Enum.IsDefined(Policy)) throw new ArgumentOutOfRangeException(nameof(Policy), Policy, "unknown position policy");
    }
}

/// <summary>
/// Runs a masked-diffusion model on token sequences under forward corruption (each sequence masked at its own
/// t ~ U[t_min, t_max], DLM-Scope Eq. 7's q_t; the first token protected) and yields the residual activations at the
/// requested sites of the positions the <see cref="PositionPolicy"/> keeps — all sites from one forward pass, so
/// several SAEs (layers × k) train from one model run.
/// </summary>
public sealed class DenoiserActivationSource : IActivationSource
{
    private readonly IDenoiser _model;
    private readonly IReadOnlyList<long[]> _sequences;
    private readonly Generator _generator;
    private readonly ResidualSite _deepest;
    private long _cursor;
    private long _epoch;

    /// <summary>Creates the source over <paramref name="sequences"/> (not copied; do not change them while in use).</summary>
    public DenoiserActivationSource(IDenoiser model, IReadOnlyList<long[]> sequences, ActivationSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        options.Validate(model.Spec);
        if (sequences.Count == 0) throw new ArgumentException("no token sequences", nameof(sequences));
        for (var i = 0; i < sequences.Count; i++)
        {
            if (sequences[i] is not { Length: > 0 } s) throw new ArgumentException($"sequence {i} is empty", nameof(sequences));
            if (s.Length > model.Spec.MaxSequenceLength)
                throw new ArgumentException($"sequence {i} has {s.Length} tokens; the model takes at most {model.Spec.MaxSequenceLength}", nameof(sequences));
        }
        _model = model;
        _sequences = sequences;
        Options = options;
        _generator = new Generator(options.Seed, model.Device);
        _deepest = options.Sites.OrderBy(s => s.Layer).ThenBy(s => s.Point).Last();
        Sites = options.Sites.OrderBy(s => s.Layer).ThenBy(s => s.Point).ToList();
        Info = new ActivationSourceInfo
        {
            ModelName = options.ModelName,
            PositionPolicy = options.Policy,
            MaskRateMin = options.MaskRateMin,
            MaskRateMax = options.MaskRateMax,
            ContextSize = sequences.Max(s => s.Length),
        };
    }

    /// <summary>The options.</summary>
    public ActivationSourceOptions Options { get; }

    /// <summary>Completed passes over the sequences.</summary>
    public long Epoch => _epoch;

    /// <summary>Index of the next sequence.</summary>
    public long Cursor => _cursor;

    /// <inheritdoc />
    public IReadOnlyList<ResidualSite> Sites { get; }
    /// <inheritdoc />
    public int Width => _model.Spec.HiddenSize;
    /// <inheritdoc />
    public ActivationSourceInfo Info { get; }

    /// <inheritdoc />
    public ActivationBatch? Next(CancellationToken cancellationToken = default)
    {
        var emptyInARow = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_cursor >= _sequences.Count)
            {
                if (!Options.Repeat) return null;
                _cursor = 0;
                _epoch++;
            }
            var rows = (int)Math.Min(Options.SequencesPerForward, _sequences.Count - _cursor);
            var batch = Run(_sequences.Skip((int)_cursor).Take(rows).ToList());
            _cursor += rows;
            if (batch is not null) return batch;
            // Nothing kept (e.g. no position masked at a small t): try the next sequences, but not forever.
            if (++emptyInARow > 4 * _sequences.Count + 16)
                throw new InvalidOperationException("the position policy keeps no positions from these sequences");
        }
    }

    private ActivationBatch? Run(IReadOnlyList<long[]> sequences)
    {
        var spec = _model.Spec;
        var device = _model.Device;
        var (ids, valid, length) = ModelInputs.Pad(sequences, Options.PadTokenId ?? ModelInputs.DefaultPad(spec));
        var batch = sequences.Count;
        var padded = sequences.Any(s => s.Length < length);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var clean = tensor(ids, [batch, length], device: device);
        var validT = tensor(valid, [batch, length], device: device);
        var rates = MaskCorruption.SampleMaskRates(batch, Options.MaskRateMin, Options.MaskRateMax, _generator, device);
        var protect = validT.logical_not();
        if (Options.ProtectFirstToken) protect = protect.logical_or(arange(0, length, ScalarType.Int64, device).eq(0).unsqueeze(0));
        using var corrupted = MaskCorruption.Corrupt(clean, rates, spec.MaskTokenId, protect, _generator);
        var keep = Options.Policy switch
        {
            PositionPolicy.Masked => corrupted.MaskedPositions,
            PositionPolicy.Unmasked => corrupted.MaskedPositions.logical_not().logical_and(validT),
            _ => validT,
        };
        if (Options.ExcludeFirstToken) keep = keep.logical_and(arange(0, length, ScalarType.Int64, device).ne(0).unsqueeze(0));
        var keepIndex = keep.reshape(-1).nonzero().squeeze(1);
        if (keepIndex.numel() == 0) return null;

        var captured = Capture(corrupted.NoisyIds, padded ? validT : null, rates, keepIndex);
        var rowRate = rates.unsqueeze(1).expand(batch, length).reshape(-1).index_select(0, keepIndex).cpu();
        var rowMasked = corrupted.MaskedPositions.reshape(-1).index_select(0, keepIndex).cpu();
        return new ActivationBatch(captured, rowRate, rowMasked);
    }

    /// <summary>One forward pass with hooks that keep [kept, d] float32 CPU rows at every site.</summary>
    private Dictionary<ResidualSite, Tensor> Capture(Tensor noisyIds, Tensor? attentionMask, Tensor rates, Tensor keepIndex)
    {
        var captured = new Dictionary<ResidualSite, Tensor>();
        var registrations = new List<IDisposable>();
        try
        {
            foreach (var site in Sites)
            {
                var s = site;
                registrations.Add(_model.Hooks.Add(site.Layer, site.Point, (in HookContext context, Tensor residual) =>
                {
                    var rows = residual.reshape(-1, residual.size(-1)).index_select(0, keepIndex).to(CPU, ScalarType.Float32, copy: true);
                    if (captured.Remove(s, out var old)) old.Dispose();
                    captured[s] = rows.DetachFromDisposeScope();
                    if (Options.StopAfterLastSite && s == _deepest) throw new StopForwardException();
                    return null;
                }));
            }
            try
            {
                using var forwardScope = NewDisposeScope();
                _model.Forward(ModelInputs.For(_model, noisyIds, attentionMask, rates));
            }
            catch (StopForwardException)
            {
            }
            if (captured.Count != Sites.Count) throw new InvalidOperationException("the model did not run every requested hook site");
            return captured;
        }
        catch
        {
            foreach (var t in captured.Values) t.Dispose();
            throw;
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
        }
    }

    /// <inheritdoc />
    public Dictionary<string, Tensor> GetState() => new()
    {
        ["cursor"] = SourceState.Scalar(_cursor),
        ["epoch"] = SourceState.Scalar(_epoch),
        ["generator"] = _generator.get_state().DetachFromDisposeScope(),
    };

    /// <inheritdoc />
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        var cursor = SourceState.Long(state, "cursor");
        if (cursor < 0 || cursor > _sequences.Count) throw new ArgumentException($"cursor {cursor} is outside the {_sequences.Count} sequences");
        _generator.set_state(SourceState.Get(state, "generator"));
        _cursor = cursor;
        _epoch = SourceState.Long(state, "epoch");
    }

    /// <summary>Frees the generator (the model is not owned).</summary>
    public void Dispose() => _generator.Dispose();

    private sealed class StopForwardException : Exception
    {
    }
}

/// <summary>Builds forward inputs the way each family needs them.</summary>
internal static class ModelInputs
{
    /// <summary>The padding id used when none is given: the model's pad, else EOS, else 0.</summary>
    public static long DefaultPad(DenoiserSpec spec) => spec.PadTokenId ?? spec.EosTokenId ?? 0;

    /// <summary>Right-pads sequences to the longest: flat ids and validity [B·L], and L.</summary>
    public static (long[] Ids, bool[] Valid, int Length) Pad(IReadOnlyList<long[]> sequences, long pad)
    {
        int batch = sequences.Count, length = sequences.Max(s => s.Length);
        var ids = new long[batch * length];
        var valid = new bool[batch * length];
        for (var r = 0; r < batch; r++)
        {
            var s = sequences[r];
            for (var p = 0; p < length; p++)
            {
                ids[r * length + p] = p < s.Length ? s[p] : pad;
                valid[r * length + p] = p < s.Length;
            }
        }
        return (ids, valid, length);
    }

    /// <summary>Ids, optional 0/1 padding mask, and MDLM's σ = −log(1 − t) for time-conditioned models.</summary>
    public static DenoiserInput For(IDenoiser model, Tensor noisyIds, Tensor? validPositions, Tensor maskRates)
    {
        Tensor? noise = model is MdlmModel ? maskRates.to(ScalarType.Float32).neg().log1p().neg() : null;
        return new DenoiserInput(noisyIds)
        {
            AttentionMask = validPositions?.to(ScalarType.Int64),
            NoiseLevel = noise,
        };
    }
}
