using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Denoising;

/// <summary>
/// A masked-diffusion language model: given token ids in which some positions hold the mask token, it returns logits
/// over the vocabulary for every position. Every architecture (LLaDA, Dream, MDLM, yours) implements this; samplers,
/// SAEs and steering only talk to it.
/// </summary>
public interface IDenoiser : IDisposable
{
    /// <summary>Sizes and special ids of the model.</summary>
    DenoiserSpec Spec { get; }

    /// <summary>The dtype of the weights (and of the residual stream).</summary>
    ScalarType DType { get; }

    /// <summary>The device holding the weights.</summary>
    Device Device { get; }

    /// <summary>Read and replace the residual stream at named points of each block during <see cref="Forward"/>.</summary>
    ResidualHooks Hooks { get; }

    /// <summary>Raw logits [B, L, V] for the batch (no shift, no masking of any column).</summary>
    Tensor Forward(DenoiserInput input);

    /// <summary>
    /// Log-probabilities [B, L, V] of the clean token at each position, as the family's own sampler and loss read
    /// them from <paramref name="logits"/>: LLaDA log-softmax; Dream shifts by one position first (the prediction for
    /// position i is the output at i−1); MDLM applies its SUBS parameterization (mask column suppressed, visible tokens
    /// carried over).
    /// </summary>
    Tensor PredictionLogProbs(Tensor logits, Tensor inputIds);
}

/// <summary>What a denoiser is: sizes and special token ids.</summary>
/// <param name="ModelType">The family (<c>llada</c>, <c>Dream</c>, <c>mdlm</c>, …).</param>
/// <param name="VocabSize">Rows of the output layer.</param>
/// <param name="MaskTokenId">The id that marks a masked position.</param>
/// <param name="NumLayers">Transformer blocks.</param>
/// <param name="HiddenSize">Width of the residual stream.</param>
/// <param name="MaxSequenceLength">Longest sequence the model accepts.</param>
/// <param name="LogitShift">Positions between a token and the output that predicts it (Dream: 1, others 0).</param>
/// <param name="EosTokenId">End-of-text id, if the model has one.</param>
/// <param name="PadTokenId">Padding id, if the model has one.</param>
/// <param name="BosTokenId">Beginning-of-text id, if known.</param>
public sealed record DenoiserSpec(
    string ModelType, int VocabSize, long MaskTokenId, int NumLayers, int HiddenSize, int MaxSequenceLength,
    int LogitShift = 0, long? EosTokenId = null, long? PadTokenId = null, long? BosTokenId = null);

/// <summary>One forward-pass input.</summary>
public sealed class DenoiserInput
{
    /// <summary>Creates an input from token ids [B, L] (int64).</summary>
    public DenoiserInput(Tensor inputIds) { InputIds = inputIds; }

    /// <summary>Token ids [B, L], int64, masked positions holding the mask id.</summary>
    public Tensor InputIds { get; }

    /// <summary>
    /// Optional 0/1 padding mask [B, L] (1 = real token). LLaDA masks padded keys; Dream builds its 4-D mask and
    /// position ids from it exactly as its sampler does; MDLM rejects it (it has no padding support).
    /// </summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Optional boolean attention mask [B, 1, L, L] (true = may attend), as Dream's sampler passes.</summary>
    public Tensor? AttentionMask4D { get; init; }

    /// <summary>Optional position ids [B, L] (Dream); default 0..L−1.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>Optional noise level σ [B] for time-conditioned models (MDLM).</summary>
    public Tensor? NoiseLevel { get; init; }
}
