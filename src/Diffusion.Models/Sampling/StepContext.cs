using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>
/// What a denoising step is doing, handed to interventions (through <see cref="Hooks.HookContext.State"/>) while the
/// model runs. Tensors are valid only during the step.
/// </summary>
public sealed class StepContext
{
    internal StepContext(int stepIndex, int totalSteps, double time, Tensor sequence, Tensor maskedPositions, int batchSize, int forwardCopies, long maskTokenId)
    {
        MaskTokenId = maskTokenId;
        StepIndex = stepIndex;
        TotalSteps = totalSteps;
        Time = time;
        Sequence = sequence;
        MaskedPositions = maskedPositions;
        BatchSize = batchSize;
        ForwardCopies = forwardCopies;
    }

    /// <summary>0-based step index.</summary>
    public int StepIndex { get; }

    /// <summary>Number of steps of the whole run.</summary>
    public int TotalSteps { get; }

    /// <summary>Fraction of the trajectory completed before this step: StepIndex / TotalSteps.</summary>
    public double Progress => (double)StepIndex / TotalSteps;

    /// <summary>Diffusion time of the step's input (1 = all masked) where the sampler defines one, else 1 − progress.</summary>
    public double Time { get; }

    /// <summary>The sequence entering the step [B, L] (int64).</summary>
    public Tensor Sequence { get; }

    /// <summary>Which positions are masked at the step's input [B, L] (bool).</summary>
    public Tensor MaskedPositions { get; }

    /// <summary>The model's mask token id.</summary>
    public long MaskTokenId { get; }

    /// <summary>Rows of the sampled batch (B).</summary>
    public int BatchSize { get; }

    /// <summary>
    /// How many copies of the batch the forward pass holds: 1, or 2 with classifier-free guidance (rows [0, B) are the
    /// conditional input, rows [B, 2B) the unconditional one, both with the same masked positions in the generated part).
    /// </summary>
    public int ForwardCopies { get; }

    /// <summary>Masked positions for the forward batch ([ForwardCopies·B, L]); equals <see cref="MaskedPositions"/> without CFG.</summary>
    public Tensor ForwardMaskedPositions { get; internal set; } = null!;
}
