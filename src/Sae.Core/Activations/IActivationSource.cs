using DiffusionSteering.Diffusion.Models.Sampling;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// A stream of activation batches (a live model, a disk cache, memory). Sources that can be checkpointed return their
/// position and random state from <see cref="GetState"/> and continue exactly from it after <see cref="SetState"/>.
/// </summary>
public interface IActivationSource : IDisposable
{
    /// <summary>The sites every batch holds.</summary>
    IReadOnlyList<ResidualSite> Sites { get; }

    /// <summary>Activation width d.</summary>
    int Width { get; }

    /// <summary>Where the activations come from (saved as SAE metadata).</summary>
    ActivationSourceInfo Info { get; }

    /// <summary>The next batch (any number of rows ≥ 1), or null once the source is exhausted. The caller owns it.</summary>
    ActivationBatch? Next(CancellationToken cancellationToken = default);

    /// <summary>The source's position and random state (new tensors the caller owns).</summary>
    /// <exception cref="NotSupportedException">The source cannot be checkpointed.</exception>
    Dictionary<string, Tensor> GetState();

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    void SetState(IReadOnlyDictionary<string, Tensor> state);
}

/// <summary>What produced the activations.</summary>
public sealed record ActivationSourceInfo
{
    /// <summary>Model name or folder.</summary>
    public string? ModelName { get; init; }
    /// <summary>Which positions were kept.</summary>
    public PositionPolicy? PositionPolicy { get; init; }
    /// <summary>Lowest mask rate of the corruption.</summary>
    public double? MaskRateMin { get; init; }
    /// <summary>Highest mask rate of the corruption.</summary>
    public double? MaskRateMax { get; init; }
    /// <summary>Longest sequence fed to the model.</summary>
    public int? ContextSize { get; init; }
}

/// <summary>Helpers for reading source state dictionaries.</summary>
internal static class SourceState
{
    public static long Long(IReadOnlyDictionary<string, Tensor> state, string key) =>
        state.TryGetValue(key, out var t) ? t.item<long>() : throw new ArgumentException($"activation source state has no '{key}' entry");

    public static Tensor Get(IReadOnlyDictionary<string, Tensor> state, string key) =>
        state.TryGetValue(key, out var t) ? t : throw new ArgumentException($"activation source state has no '{key}' entry");

    public static Tensor Scalar(long value) => tensor(value).DetachFromDisposeScope();
}
