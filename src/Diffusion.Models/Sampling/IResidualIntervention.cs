using DiffusionSteering.Diffusion.Models.Hooks;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>Where in the model an intervention acts.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="Point">Point of the residual stream inside the block.</param>
public readonly record struct ResidualSite(int Layer, HookPoint Point);

/// <summary>
/// A per-step edit of the residual stream, applied by a sampler at chosen sites on chosen steps. The steering package
/// builds feature directions and schedules on this seam.
/// </summary>
public interface IResidualIntervention
{
    /// <summary>The sites where <see cref="Apply"/> is called on every forward pass of a step.</summary>
    IReadOnlyCollection<ResidualSite> Sites { get; }

    /// <summary>
    /// Returns the replacement residual for this step at this site, or null to leave it unchanged (return null on
    /// steps where the intervention is off: that costs nothing). <paramref name="residual"/> is [forward batch, L, d].
    /// </summary>
    Tensor? Apply(StepContext step, ResidualSite site, Tensor residual);
}

/// <summary>Called once per denoising step, after the step has updated the sequence.</summary>
public interface ISamplerObserver
{
    /// <summary>Residual sites whose states the observer wants in <see cref="SamplerStep.HiddenStates"/> (may be empty).</summary>
    IReadOnlyCollection<ResidualSite> HiddenStateRequests { get; }

    /// <summary>Observes one step. Tensors in <paramref name="step"/> are valid only during the call (clone to keep).</summary>
    void OnStep(SamplerStep step);
}

/// <summary>One completed denoising step, as observers see it.</summary>
public sealed class SamplerStep
{
    internal SamplerStep(StepContext context, Tensor logits, Tensor sequenceAfter, Tensor committed, IReadOnlyDictionary<ResidualSite, Tensor> hiddenStates)
    {
        Context = context;
        Logits = logits;
        SequenceAfter = sequenceAfter;
        Committed = committed;
        HiddenStates = hiddenStates;
    }

    /// <summary>Step index, time, input sequence and masked positions.</summary>
    public StepContext Context { get; }

    /// <summary>Step index (0-based).</summary>
    public int StepIndex => Context.StepIndex;

    /// <summary>
    /// The scores the step chose tokens from [B, L, V]: logits for LLaDA and Dream (after the family's shift and
    /// guidance), SUBS probabilities p(x₀ | x_t) for MDLM.
    /// </summary>
    public Tensor Logits { get; }

    /// <summary>The sequence after the step [B, L].</summary>
    public Tensor SequenceAfter { get; }

    /// <summary>Positions that went from masked to a token at this step [B, L] (bool).</summary>
    public Tensor Committed { get; }

    /// <summary>Hidden states [B, L, d] at the sites the observer requested (conditional rows only under CFG).</summary>
    public IReadOnlyDictionary<ResidualSite, Tensor> HiddenStates { get; }
}
