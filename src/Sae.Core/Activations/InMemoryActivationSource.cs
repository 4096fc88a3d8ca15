using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// Serves the rows of an <see cref="ActivationBatch"/> in order, <see cref="RowsPerBatch"/> at a time, optionally
/// cycling (e.g. activations collected during sampling, or a held-out set).
/// </summary>
public sealed class InMemoryActivationSource : IActivationSource
{
    private readonly ActivationBatch _data;
    private long _cursor;
    private long _epoch;

    /// <summary>Takes ownership of <paramref name="data"/>.</summary>
    public InMemoryActivationSource(ActivationBatch data, int rowsPerBatch = 4096, bool repeat = false, ActivationSourceInfo? info = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerBatch, 1);
        if (data.Count == 0) throw new ArgumentException("the activation batch is empty", nameof(data));
        _data = data;
        RowsPerBatch = rowsPerBatch;
        Repeat = repeat;
        Info = info ?? new ActivationSourceInfo();
    }

    /// <summary>Rows per batch served.</summary>
    public int RowsPerBatch { get; }

    /// <summary>Start again at row 0 after the last row.</summary>
    public bool Repeat { get; }

    /// <summary>Completed passes over the data.</summary>
    public long Epoch => _epoch;

    /// <inheritdoc />
    public IReadOnlyList<ResidualSite> Sites => _data.Sites;
    /// <inheritdoc />
    public int Width => (int)_data.Width;
    /// <inheritdoc />
    public ActivationSourceInfo Info { get; }

    /// <inheritdoc />
    public ActivationBatch? Next(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_cursor >= _data.Count)
        {
            if (!Repeat) return null;
            _cursor = 0;
            _epoch++;
        }
        var length = Math.Min(RowsPerBatch, _data.Count - _cursor);
        var batch = _data.Slice(_cursor, length);
        _cursor += length;
        return batch;
    }

    /// <inheritdoc />
    public Dictionary<string, Tensor> GetState() => new()
    {
        ["cursor"] = SourceState.Scalar(_cursor),
        ["epoch"] = SourceState.Scalar(_epoch),
    };

    /// <inheritdoc />
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        var cursor = SourceState.Long(state, "cursor");
        if (cursor < 0 || cursor > _data.Count) throw new ArgumentException($"cursor {cursor} is outside the {_data.Count} rows");
        _cursor = cursor;
        _epoch = SourceState.Long(state, "epoch");
    }

    /// <inheritdoc />
    public void Dispose() => _data.Dispose();
}

/// <summary>
/// Activations produced by a function of a seeded generator (synthetic data, benchmarks): each batch is
/// <c>sample(rows, generator)</c> [rows, d] at one site. The generator state is the checkpoint state.
/// </summary>
public sealed class GeneratedActivationSource : IActivationSource
{
    private readonly Func<long, Generator, Tensor> _sample;
    private readonly Generator _generator;
    private readonly ResidualSite _site;
    private readonly long? _maxBatches;
    private long _batches;

    /// <summary>Creates the source.</summary>
    /// <param name="site">The site the activations are labelled with.</param>
    /// <param name="width">Activation width d.</param>
    /// <param name="sample">Draws [rows, d] activations from the generator.</param>
    /// <param name="rowsPerBatch">Rows per batch.</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="maxBatches">Stop after this many batches (null: never).</param>
    public GeneratedActivationSource(ResidualSite site, int width, Func<long, Generator, Tensor> sample, int rowsPerBatch = 4096, ulong seed = 0, long? maxBatches = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        _site = site;
        _sample = sample;
        _generator = new Generator(seed);
        _maxBatches = maxBatches;
        Width = width;
        RowsPerBatch = rowsPerBatch;
    }

    /// <summary>Rows per batch.</summary>
    public int RowsPerBatch { get; }
    /// <inheritdoc />
    public IReadOnlyList<ResidualSite> Sites => [_site];
    /// <inheritdoc />
    public int Width { get; }
    /// <inheritdoc />
    public ActivationSourceInfo Info { get; init; } = new();

    /// <inheritdoc />
    public ActivationBatch? Next(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_maxBatches is { } max && _batches >= max) return null;
        using var scope = NewDisposeScope();
        var x = _sample(RowsPerBatch, _generator).to(ScalarType.Float32);
        if (!x.shape.SequenceEqual(new long[] { RowsPerBatch, Width }))
            throw new InvalidOperationException($"the sampler returned [{string.Join(", ", x.shape)}], expected [{RowsPerBatch}, {Width}]");
        _batches++;
        return new ActivationBatch(new Dictionary<ResidualSite, Tensor> { [_site] = x },
            zeros([RowsPerBatch], ScalarType.Float32), zeros([RowsPerBatch], ScalarType.Bool));
    }

    /// <inheritdoc />
    public Dictionary<string, Tensor> GetState() => new()
    {
        ["generator"] = _generator.get_state().DetachFromDisposeScope(),
        ["batches"] = SourceState.Scalar(_batches),
    };

    /// <inheritdoc />
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        _generator.set_state(SourceState.Get(state, "generator"));
        _batches = SourceState.Long(state, "batches");
    }

    /// <inheritdoc />
    public void Dispose() => _generator.Dispose();
}
