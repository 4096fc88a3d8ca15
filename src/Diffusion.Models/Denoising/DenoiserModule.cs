using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Denoising;

/// <summary>
/// Base of the built-in architectures: an <see cref="nn.Module"/> whose parameter names are the checkpoint's, with the
/// hook registry and input validation every <see cref="IDenoiser"/> needs.
/// </summary>
public abstract class DenoiserModule : nn.Module<DenoiserInput, Tensor>, IDenoiser
{
    /// <summary>Creates the module.</summary>
    protected DenoiserModule(string name, DenoiserSpec spec) : base(name)
    {
        Spec = spec;
        Hooks = new ResidualHooks(spec.NumLayers);
    }

    /// <inheritdoc />
    public DenoiserSpec Spec { get; }

    /// <inheritdoc />
    public ResidualHooks Hooks { get; }

    /// <inheritdoc />
    public ScalarType DType => parameters().First().dtype;

    /// <inheritdoc />
    public Device Device => parameters().First().device;

    /// <inheritdoc />
    public Tensor Forward(DenoiserInput input) => forward(input);

    /// <summary>
    /// The loading path every built-in architecture shares: build the model on the meta device (no weight memory),
    /// fill it tensor by tensor from the checkpoint folder's safetensors, switch to eval mode; dispose it on failure.
    /// </summary>
    protected static T LoadFromCheckpoint<T>(string folder, Func<Device, T> build, ScalarType dtype, Checkpoints.DenoiserLoadOptions options,
        Func<string, bool>? ignorable = null) where T : DenoiserModule
    {
        using var weights = Checkpoints.CheckpointWeights.Open(folder);
        var model = build(META);
        try
        {
            weights.LoadInto(model, dtype, options.Device ?? CPU, ignorable, options.MemoryMapWeights);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public virtual Tensor PredictionLogProbs(Tensor logits, Tensor inputIds) => logits.log_softmax(-1);

    /// <summary>
    /// Checks token ids: int64, [B, L] with L within the model's maximum, every id in [0, vocab). Returns (B, L).
    /// </summary>
    protected (long batch, long length) ValidateIds(Tensor inputIds)
    {
        if (inputIds.dtype != ScalarType.Int64) throw new ArgumentException($"input ids must be int64, got {inputIds.dtype}");
        var shape = inputIds.shape;
        if (shape.Length != 2) throw new ArgumentException($"input ids must have shape [batch, length], got [{string.Join(", ", shape)}]");
        if (shape[1] > Spec.MaxSequenceLength)
            throw new ArgumentException($"sequence length {shape[1]} exceeds the model's maximum {Spec.MaxSequenceLength}");
        if (inputIds.numel() > 0)
        {
            using var min = inputIds.min();
            using var max = inputIds.max();
            var lo = min.item<long>();
            var hi = max.item<long>();
            if (lo < 0 || hi >= Spec.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(inputIds), $"token ids must be in [0, {Spec.VocabSize}), got values in [{lo}, {hi}]");
        }
        return (shape[0], shape[1]);
    }

    /// <summary>Checks that an optional [B, L] tensor matches the ids' shape.</summary>
    protected static void ValidateSameShape(Tensor? tensor, long batch, long length, string what)
    {
        if (tensor is null) return;
        var shape = tensor.shape;
        if (shape.Length != 2 || shape[0] != batch || shape[1] != length)
            throw new ArgumentException($"{what} must have shape [{batch}, {length}], got [{string.Join(", ", shape)}]");
    }
}
