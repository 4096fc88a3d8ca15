using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Quality;

/// <summary>Settings of <see cref="DlmNll"/>.</summary>
public sealed record DlmNllOptions
{
    /// <summary>Monte-Carlo draws (masked copies) per text (default 64).</summary>
    public int Draws { get; init; } = 64;

    /// <summary>Masked copies per forward pass (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>ε: mask rates are drawn from U(ε, 1) (default 1e-3), avoiding the unbounded 1/t weight at t → 0.</summary>
    public double MinMaskRate { get; init; } = 1e-3;

    /// <summary>
    /// Stratify the mask rates over the draws of a text: draw k uses t = ε + (1 − ε)·(k + u)/D with u ~ U(0, 1)
    /// (default true). Still unbiased, with lower variance than independent draws.
    /// </summary>
    public bool Stratified { get; init; } = true;

    /// <summary>Seed of the mask-rate and mask-position draws.</summary>
    public ulong Seed { get; init; }

    /// <summary>Confidence level of the intervals (default 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>
    /// For time-conditioned models (MDLM with time conditioning): maps the mask rates t [B] (float32, on the model's
    /// device) to the noise level σ [B] that <see cref="Diffusion.Models.Denoising.DenoiserInput.NoiseLevel"/> carries,
    /// e.g. σ = −log(1 − t) for a log-linear schedule. Null: no noise level is passed.
    /// </summary>
    public Func<Tensor, Tensor>? NoiseLevel { get; init; }

    /// <summary>Default settings.</summary>
    public static DlmNllOptions Default { get; } = new();

    internal void Validate()
    {
        if (Draws < 2)
        {
            throw new ArgumentException($"At least two draws are required (for a standard error); got {Draws}.", nameof(Draws));
        }

        if (BatchSize < 1)
        {
            throw new ArgumentException($"Batch size must be at least 1; got {BatchSize}.", nameof(BatchSize));
        }

        if (!(MinMaskRate > 0.0 && MinMaskRate < 1.0))
        {
            throw new ArgumentException($"MinMaskRate must lie in (0, 1); got {MinMaskRate}.", nameof(MinMaskRate));
        }

        if (!(ConfidenceLevel > 0.0 && ConfidenceLevel < 1.0))
        {
            throw new ArgumentException($"ConfidenceLevel must lie strictly between 0 and 1; got {ConfidenceLevel}.", nameof(ConfidenceLevel));
        }
    }
}
