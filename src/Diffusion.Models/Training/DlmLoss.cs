using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>How the 1/t-weighted masked cross-entropy is averaged.</summary>
public enum DlmLossReduction
{
    /// <summary>Divide by the number of masked tokens (DLM-Scope's <c>dlm_batch_losses</c>).</summary>
    PerMaskedToken,
    /// <summary>Divide by all tokens B·L (LLaDA pretraining: the unbiased ELBO estimate per token).</summary>
    PerToken,
}

/// <summary>
/// The masked-diffusion training loss (DLM-Scope Eq. 7; LLaDA Eq. 3): Σ over masked positions of
/// −log p_θ(x⁰ᵢ | xᵗ), weighted by 1/t, with the model's own prediction convention (Dream's shift, MDLM's SUBS).
/// </summary>
public static class DlmLoss
{
    /// <summary>Per-position negative log-likelihood of the clean tokens [B, L] (all positions).</summary>
    public static Tensor TokenNll(IDenoiser model, Tensor logits, Tensor noisyIds, Tensor cleanIds)
    {
        using var scope = NewDisposeScope();
        var logProbs = model.PredictionLogProbs(logits, noisyIds);
        return logProbs.to(ScalarType.Float32).gather(-1, cleanIds.unsqueeze(-1)).squeeze(-1).neg().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// L = Σ_{b,i masked} nll[b,i] / t_b, divided as <paramref name="reduction"/> says (0-d float32; differentiable).
    /// </summary>
    public static Tensor FromNll(Tensor tokenNll, CorruptedBatch batch, DlmLossReduction reduction = DlmLossReduction.PerMaskedToken)
    {
        using var scope = NewDisposeScope();
        var weights = batch.MaskedPositions.to(ScalarType.Float32) / batch.MaskRate.clamp_min(1e-12).unsqueeze(1);   // 1{masked}/t
        var total = (tokenNll * weights).sum();
        var count = reduction == DlmLossReduction.PerMaskedToken
            ? Math.Max(1, batch.MaskedPositions.sum().item<long>())
            : tokenNll.numel();
        return (total / count).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the model on the corrupted batch and returns the loss (see <see cref="FromNll"/>).</summary>
    public static Tensor Compute(IDenoiser model, Tensor cleanIds, CorruptedBatch batch, DlmLossReduction reduction = DlmLossReduction.PerMaskedToken,
        Tensor? noiseLevel = null)
    {
        using var scope = NewDisposeScope();
        var logits = model.Forward(new DenoiserInput(batch.NoisyIds) { NoiseLevel = noiseLevel });
        return FromNll(TokenNll(model, logits, batch.NoisyIds, cleanIds), batch, reduction).MoveToOuterDisposeScope();
    }
}
