using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core;

/// <summary>
/// A sparse autoencoder over d_in-dimensional activations (SAELens names: <c>W_enc</c> [d_in, d_sae], <c>b_enc</c>,
/// <c>W_dec</c> [d_sae, d_in] whose row i is feature i's direction, <c>b_dec</c>). Inputs may have any leading shape
/// […, d_in].
/// </summary>
public interface ISparseAutoencoder : IDisposable
{
    /// <summary>Input width.</summary>
    int DIn { get; }

    /// <summary>Number of latents (features).</summary>
    int DSae { get; }

    /// <summary>The sparsity rule.</summary>
    SaeArchitecture Architecture { get; }

    /// <summary>Where the SAE was trained (model, layer, hook point, position policy, mask-rate range).</summary>
    SaeMetadata Metadata { get; }

    /// <summary>dtype of the weights.</summary>
    ScalarType DType { get; }

    /// <summary>Device of the weights.</summary>
    Device Device { get; }

    /// <summary>The pre-activation h = (x − b_dec·[apply]) W_enc + b_enc, […, d_sae].</summary>
    Tensor PreActivations(Tensor x);

    /// <summary>The pre-sparsity dense encoding ReLU(h) (used for feature statistics), […, d_sae].</summary>
    Tensor DenseEncode(Tensor x);

    /// <summary>The sparse latents as a dense tensor […, d_sae] (zeros off the support).</summary>
    Tensor Encode(Tensor x);

    /// <summary>The sparse latents as (values, indices) of their support, […, k].</summary>
    SparseCode EncodeSparse(Tensor x);

    /// <summary>x̂ = z W_dec + b_dec for dense latents […, d_sae].</summary>
    Tensor Decode(Tensor latents);

    /// <summary>x̂ from a sparse code (touches only the k active decoder rows).</summary>
    Tensor Decode(SparseCode code);

    /// <summary>Reconstruction and dense latents.</summary>
    (Tensor reconstruction, Tensor latents) Forward(Tensor x);

    /// <summary>Feature i's decoder direction (row i of W_dec), [d_in].</summary>
    Tensor DecoderDirection(long feature);

    /// <summary>Moves the weights to a device and dtype, in place.</summary>
    void MoveTo(Device device, ScalarType? dtype = null);
}

/// <summary>A sparse code: the active latents' values and indices, [N…, k] each (values ≥ 0; zeros pad).</summary>
/// <param name="Values">Activation values.</param>
/// <param name="Indices">Latent indices (int64).</param>
public sealed record SparseCode(Tensor Values, Tensor Indices) : IDisposable
{
    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Values.Dispose();
        Indices.Dispose();
    }
}

/// <summary>The sparsity rule of an SAE.</summary>
public enum SaeArchitecture
{
    /// <summary>ReLU with an L1 penalty in training (DLM-Scope Eq. 3; SAELens "standard").</summary>
    Standard,
    /// <summary>ReLU then keep the k largest per token (Gao et al. 2024).</summary>
    TopK,
    /// <summary>Top k·B over the batch in training; a global threshold at inference (Bussmann et al. 2024).</summary>
    BatchTopK,
    /// <summary>ReLU(h)·1[h &gt; θᵢ] with per-latent thresholds (Rajamanoharan et al. 2024).</summary>
    JumpReLU,
    /// <summary>One TopK SAE trained to reconstruct at several k (HierarchicalTopK / Matryoshka-style over k).</summary>
    MultiTopK,
}

/// <summary>Where an SAE was trained: the DLM metadata saved with it.</summary>
public sealed record SaeMetadata
{
    /// <summary>Model name or path.</summary>
    public string? ModelName { get; init; }
    /// <summary>Block index.</summary>
    public int? Layer { get; init; }
    /// <summary>Hook point name (e.g. <c>resid_post</c>, or SAELens' <c>blocks.1.hook_resid_post</c>).</summary>
    public string? HookName { get; init; }
    /// <summary>Which positions trained it: <c>mask</c>, <c>unmask</c>, <c>all</c>, <c>clean</c>.</summary>
    public string? PositionPolicy { get; init; }
    /// <summary>Lowest mask rate of the training corruption.</summary>
    public double? MaskRateMin { get; init; }
    /// <summary>Highest mask rate of the training corruption.</summary>
    public double? MaskRateMax { get; init; }
    /// <summary>Training context length.</summary>
    public int? ContextSize { get; init; }
}
