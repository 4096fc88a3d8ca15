using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// A fixed-capacity shuffling buffer over an <see cref="IActivationSource"/> (dictionary_learning / SAELens style):
/// it is filled from the source, shuffled with a seeded generator, and served in order; once half of it has been read,
/// the unread rows are kept, the buffer is topped up from the source, and everything is shuffled again — so rows of
/// different sequences and forward passes mix. Its state (unread rows, pending source rows, generator, source state)
/// checkpoints exactly.
/// </summary>
public sealed class ActivationBuffer : IDisposable
{
    private readonly IActivationSource _source;
    private readonly Generator _generator;
    private ActivationBatch? _rows;      // the buffer: _rows[_read..] are unread
    private long _read;
    private ActivationBatch? _pending;   // source rows that did not fit at the last refill
    private bool _exhausted;

    /// <summary>Creates the buffer (the source is not owned).</summary>
    /// <param name="source">Where activations come from.</param>
    /// <param name="capacity">Rows held after each refill.</param>
    /// <param name="seed">Seed of the shuffling generator.</param>
    public ActivationBuffer(IActivationSource source, int capacity, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _source = source;
        _generator = new Generator(seed);
        Capacity = capacity;
    }

    /// <summary>Rows held after each refill.</summary>
    public int Capacity { get; }

    /// <summary>The source's sites.</summary>
    public IReadOnlyList<ResidualSite> Sites => _source.Sites;

    /// <summary>Activation width.</summary>
    public int Width => _source.Width;

    /// <summary>Rows not yet served.</summary>
    public long Unread => _rows is null ? 0 : _rows.Count - _read;

    /// <summary>Number of refills so far.</summary>
    public long Refills { get; private set; }

    /// <summary>
    /// The next <paramref name="rows"/> shuffled rows (fewer only at the very end of a finite source; null when nothing
    /// is left). The caller owns the batch.
    /// </summary>
    public ActivationBatch? Next(int rows, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        if (rows > Capacity / 2) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"batches must be at most half the buffer capacity ({Capacity / 2})");
        if (Unread < rows || Unread <= Capacity / 2) Refill(cancellationToken);
        if (Unread == 0) return null;
        var take = Math.Min(rows, Unread);
        var batch = _rows!.Slice(_read, take);
        _read += take;
        return batch;
    }

    private void Refill(CancellationToken cancellationToken)
    {
        if (_exhausted && _pending is null) return;
        var parts = new List<ActivationBatch>();
        try
        {
            long count = 0;
            if (_rows is not null && Unread > 0)
            {
                parts.Add(_rows.Slice(_read, Unread));
                count += Unread;
            }
            if (_pending is not null)
            {
                parts.Add(_pending);
                count += _pending.Count;
                _pending = null;
            }
            while (count < Capacity && !_exhausted)
            {
                var next = _source.Next(cancellationToken);
                if (next is null)
                {
                    _exhausted = true;
                    break;
                }
                if (!next.Sites.SequenceEqual(Sites)) throw new InvalidOperationException("the activation source returned other sites than it declared");
                parts.Add(next);
                count += next.Count;
            }
            if (count == 0)
            {
                ReplaceRows(null);
                return;
            }
            using var all = parts.Count == 1 ? null : ActivationBatch.Concat(parts);
            var merged = all ?? parts[0];
            if (merged.Count > Capacity)
            {
                _pending = merged.Slice(Capacity, merged.Count - Capacity);
            }
            var kept = Math.Min(Capacity, merged.Count);
            using var scope = NewDisposeScope();
            // A seeded permutation of the kept rows: argsort of uniform draws.
            var permutation = rand([kept], ScalarType.Float32, null, _generator).argsort();
            var shuffled = merged.Select(permutation);
            ReplaceRows(shuffled);
            Refills++;
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    private void ReplaceRows(ActivationBatch? rows)
    {
        if (_rows is not null && !ReferenceEquals(_rows, rows)) _rows.Dispose();
        _rows = rows;
        _read = 0;
    }

    /// <summary>
    /// The buffer's state: unread rows (<c>rows.*</c>), pending rows (<c>pending.*</c>), the shuffling generator, and the
    /// source's state (<c>source.*</c>). New tensors the caller owns.
    /// </summary>
    public Dictionary<string, Tensor> GetState()
    {
        var state = new Dictionary<string, Tensor>
        {
            ["generator"] = _generator.get_state().DetachFromDisposeScope(),
            ["exhausted"] = SourceState.Scalar(_exhausted ? 1 : 0),
            ["refills"] = SourceState.Scalar(Refills),
        };
        if (_rows is not null && Unread > 0)
            using (var unread = _rows.Slice(_read, Unread)) AddBatch(state, "rows.", unread);
        if (_pending is not null)
            using (var pending = _pending.Slice(0, _pending.Count)) AddBatch(state, "pending.", pending);
        foreach (var (k, v) in _source.GetState()) state["source." + k] = v;
        return state;
    }

    /// <summary>Restores a state from <see cref="GetState"/> (also restores the source).</summary>
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        _generator.set_state(SourceState.Get(state, "generator"));
        _exhausted = SourceState.Long(state, "exhausted") != 0;
        Refills = SourceState.Long(state, "refills");
        ReplaceRows(ReadBatch(state, "rows."));
        _pending?.Dispose();
        _pending = ReadBatch(state, "pending.");
        _source.SetState(state.Where(kv => kv.Key.StartsWith("source.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["source.".Length..], kv => kv.Value));
    }

    private static void AddBatch(Dictionary<string, Tensor> state, string prefix, ActivationBatch batch)
    {
        foreach (var (site, t) in batch.Activations) state[prefix + site.Key()] = t.clone().DetachFromDisposeScope();
        state[prefix + "mask_rate"] = batch.MaskRate.clone().DetachFromDisposeScope();
        state[prefix + "masked"] = batch.Masked.clone().DetachFromDisposeScope();
    }

    private ActivationBatch? ReadBatch(IReadOnlyDictionary<string, Tensor> state, string prefix)
    {
        if (!state.ContainsKey(prefix + "mask_rate")) return null;
        using var scope = NewDisposeScope();
        var activations = new Dictionary<ResidualSite, Tensor>();
        foreach (var site in Sites)
        {
            var t = SourceState.Get(state, prefix + site.Key());
            if (t.shape is not [_, var d] || d != Width) throw new ArgumentException($"buffer state '{prefix}{site.Key()}' has shape [{string.Join(", ", t.shape)}], expected [N, {Width}]");
            activations[site] = t.to(ScalarType.Float32, copy: true);
        }
        return new ActivationBatch(activations, SourceState.Get(state, prefix + "mask_rate").clone(), SourceState.Get(state, prefix + "masked").clone());
    }

    /// <summary>Frees the buffered rows and the generator (the source is not owned).</summary>
    public void Dispose()
    {
        _rows?.Dispose();
        _rows = null;
        _pending?.Dispose();
        _pending = null;
        _generator.Dispose();
    }
}
