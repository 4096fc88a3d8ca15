using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Interventions;

/// <summary>Which positions an intervention edits at a step (DLM-Scope's <c>token_scope</c>, Eqs. 13–14).</summary>
public abstract class TokenScope
{
    /// <summary>A bool mask [forward batch, L] of the positions to edit at this step.</summary>
    public abstract Tensor Select(StepContext step, Tensor residual);

    /// <summary>Every position (P^All).</summary>
    public static TokenScope All { get; } = new AllPositions();

    /// <summary>The positions still masked at this step (P^Upd, "update").</summary>
    public static TokenScope Masked { get; } = new MaskedPositions();

    /// <summary>
    /// The <paramref name="k"/> positions per row where SAE feature <paramref name="feature"/> is most active, recomputed
    /// at every step (DLM-Scope <c>topk_tokens</c>, default k = 3).
    /// </summary>
    public static TokenScope TopKFeature(ISparseAutoencoder sae, long feature, int k = 3) => new TopKFeaturePositions(sae, feature, k);

    private sealed class AllPositions : TokenScope
    {
        public override Tensor Select(StepContext step, Tensor residual) =>
            ones([residual.size(0), residual.size(1)], ScalarType.Bool, residual.device);
    }

    private sealed class MaskedPositions : TokenScope
    {
        public override Tensor Select(StepContext step, Tensor residual) => step.ForwardMaskedPositions.to(residual.device);
    }

    private sealed class TopKFeaturePositions : TokenScope
    {
        private readonly ISparseAutoencoder _sae;
        private readonly long _feature;
        private readonly int _k;

        public TopKFeaturePositions(ISparseAutoencoder sae, long feature, int k)
        {
            if (feature < 0 || feature >= sae.DSae) throw new ArgumentOutOfRangeException(nameof(feature), feature, $"feature must be in [0, {sae.DSae})");
            if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
            _sae = sae; _feature = feature; _k = k;
        }

        public override Tensor Select(StepContext step, Tensor residual)
        {
            using var scope = NewDisposeScope();
            var activation = _sae.DenseEncode(residual).select(-1, _feature);     // [B, L]
            var k = Math.Min(_k, activation.size(1));
            var (_, positions) = activation.topk(k);
            var mask = zeros([residual.size(0), residual.size(1)], ScalarType.Bool, residual.device).scatter(1, positions, 1);
            return mask.MoveToOuterDisposeScope();
        }
    }
}

/// <summary>The per-token scale s(h) of the steering term α·s(h)·v.</summary>
public abstract class SteeringScale
{
    /// <summary>s(h) per token [forward batch, L].</summary>
    public abstract Tensor Compute(Tensor residual);

    /// <summary>s(h) = 1.</summary>
    public static SteeringScale Constant { get; } = new ConstantScale();

    /// <summary>
    /// s(h) = max_j z_j(h), the token's largest SAE activation (DLM-Scope Eq. 4 as its code computes it). With
    /// <paramref name="subtractDecoderBias"/> false, the encoder is applied as W_enc·h + b_enc without subtracting b_dec —
    /// SAE4DLM's steering-time quirk; true uses the SAE's own encoding.
    /// </summary>
    public static SteeringScale MaxSaeLatent(ISparseAutoencoder sae, bool subtractDecoderBias = true) => new MaxLatentScale(sae, subtractDecoderBias);

    private sealed class ConstantScale : SteeringScale
    {
        public override Tensor Compute(Tensor residual) =>
            ones([residual.size(0), residual.size(1)], residual.dtype, residual.device);
    }

    private sealed class MaxLatentScale(ISparseAutoencoder sae, bool subtractDecoderBias) : SteeringScale
    {
        public override Tensor Compute(Tensor residual)
        {
            using var scope = NewDisposeScope();
            Tensor latents;
            if (subtractDecoderBias || sae is not Sae.Core.Architectures.SparseAutoencoder concrete)
            {
                latents = sae.Encode(residual);
            }
            else
            {
                // SAE4DLM LocalSAE: pre = h W_enc + b_enc (no b_dec subtraction), then the SAE's sparsity rule.
                var shifted = residual.to(concrete.DType) + (concrete.Config.ApplyBDecToInput ? concrete.b_dec : zeros_like(concrete.b_dec));
                latents = concrete.Encode(shifted);
            }
            return latents.amax([-1]).to(residual.dtype).MoveToOuterDisposeScope();
        }
    }
}
