using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>Settings of <see cref="ActivationProbeTrainer"/>.</summary>
public sealed record ProbeTrainingOptions
{
    /// <summary>Blocks to probe; every block when null.</summary>
    public IReadOnlyList<int>? Layers { get; init; }

    /// <summary>Hook point inside each block (default the block output).</summary>
    public HookPoint Point { get; init; } = HookPoint.ResidPost;

    /// <summary>Stratified cross-validation folds (default 5; every class needs at least this many examples).</summary>
    public int Folds { get; init; } = StratifiedKFold.DefaultFolds;

    /// <summary>Seed of the fold assignment and of the noise masks.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Mask ratios of noised copies (paper b uses {0.3, 0.5, 0.7}); each example is also run with every position
    /// independently replaced by the mask id with that probability. Empty (default): clean examples only.
    /// </summary>
    public IReadOnlyList<double> MaskRatios { get; init; } = [];

    /// <summary>Include the clean (unmasked) examples (default true; at least one variant is required).</summary>
    public bool IncludeClean { get; init; } = true;

    /// <summary>Logistic-regression settings (default: λ = 1e-3, standardised features).</summary>
    public LogisticRegressionOptions Regression { get; init; } = LogisticRegressionOptions.Default;

    /// <summary>Sequences per forward pass.</summary>
    public int BatchSize { get; init; } = MeanPooledActivations.DefaultBatchSize;

    /// <summary>Class order; the distinct labels in ordinal order when null.</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>Default settings.</summary>
    public static ProbeTrainingOptions Default { get; } = new();

    internal void Validate()
    {
        if (Folds < 2)
        {
            throw new ArgumentException($"At least two folds are required; got {Folds}.", nameof(Folds));
        }

        ArgumentNullException.ThrowIfNull(MaskRatios, nameof(MaskRatios));
        foreach (double r in MaskRatios)
        {
            if (!(r > 0.0 && r <= 1.0))
            {
                throw new ArgumentException($"Mask ratios must lie in (0, 1]; got {r}.", nameof(MaskRatios));
            }
        }

        if (MaskRatios.Distinct().Count() != MaskRatios.Count)
        {
            throw new ArgumentException("Mask ratios must be distinct.", nameof(MaskRatios));
        }

        if (!IncludeClean && MaskRatios.Count == 0)
        {
            throw new ArgumentException("Nothing to train on: IncludeClean is false and no mask ratios are given.", nameof(IncludeClean));
        }

        if (BatchSize < 1)
        {
            throw new ArgumentException($"Batch size must be at least 1; got {BatchSize}.", nameof(BatchSize));
        }

        ArgumentNullException.ThrowIfNull(Regression, nameof(Regression));
        Regression.Validate();
    }
}
