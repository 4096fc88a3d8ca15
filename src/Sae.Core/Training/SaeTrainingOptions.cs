namespace DiffusionSteering.Sae.Core.Training;

/// <summary>How b_dec is initialised from the first training batch.</summary>
public enum DecoderBiasInit
{
    /// <summary>Geometric median (Weiszfeld) of the first batch (OpenAI, dictionary_learning, DLM-Scope).</summary>
    GeometricMedian,
    /// <summary>Mean of the first batch (sparsify).</summary>
    Mean,
    /// <summary>Zero (SAELens).</summary>
    Zero,
}

/// <summary>Which values of the dead latents AuxK reconstructs the residual from.</summary>
public enum AuxKInput
{
    /// <summary>
    /// The largest post-ReLU pre-activations (dictionary_learning and DLM-Scope; OpenAI and sparsify are equivalent):
    /// a dead latent whose pre-activations are all ≤ 0 gets no gradient.
    /// </summary>
    PostRelu,
    /// <summary>The largest raw pre-activations, negative ones included (SAELens): every dead latent gets a gradient.</summary>
    PreActivation,
}

/// <summary>
/// Hyper-parameters of SAE training. Defaults follow DLM-Scope / dictionary_learning's TopK recipe; see
/// docs/sae-training.md for every choice where the reference implementations disagree.
/// </summary>
public sealed record SaeTrainingOptions
{
    /// <summary>Optimizer steps of the whole run (the learning-rate schedule's length).</summary>
    public long TotalSteps { get; init; } = 10_000;

    /// <summary>Tokens (activation rows) per optimizer step.</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Peak Adam learning rate; null: 2e-4 / √(d_sae / 2^14) (the 1/√n rule of Gao et al. 2024, as sparsify and dictionary_learning).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Adam β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam β₂.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Linear warm-up steps: the factor at step s (0-based) is min(1, (s + 1) / warmup).</summary>
    public long WarmupSteps { get; init; } = 1000;

    /// <summary>Linear decay to 0 starts at this fraction of <see cref="TotalSteps"/> (DLM-Scope: 0.8); null: no decay.</summary>
    public double? DecayStartFraction { get; init; } = 0.8;

    /// <summary>Joint gradient-norm clip (null: none).</summary>
    public double? GradientClipNorm { get; init; } = 1.0;

    /// <summary>AuxK coefficient α (Gao et al. 2024: 1/32); 0 disables AuxK.</summary>
    public double AuxKCoefficient { get; init; } = 1.0 / 32;

    /// <summary>k_aux: dead latents used by AuxK per token; null: d_in / 2.</summary>
    public int? AuxK { get; init; }

    /// <summary>Whether AuxK reads post-ReLU (default) or raw pre-activations of the dead latents.</summary>
    public AuxKInput AuxKInput { get; init; } = AuxKInput.PostRelu;

    /// <summary>A latent is dead after this many training tokens without a positive activation (10M in all anchors that count tokens).</summary>
    public long DeadTokenWindow { get; init; } = 10_000_000;

    /// <summary>
    /// Train on x / s with s = √E‖x‖² estimated on the first batch (dictionary_learning <c>normalize_activations</c>,
    /// as DLM-Scope); exported SAEs fold s back into the biases so they read raw activations.
    /// </summary>
    public bool NormalizeActivations { get; init; } = true;

    /// <summary>b_dec initialisation.</summary>
    public DecoderBiasInit DecoderBiasInit { get; init; } = DecoderBiasInit.GeometricMedian;

    /// <summary>Standard (ReLU + L1, DLM-Scope Eq. 3): λ of the L1 penalty on the latents.</summary>
    public double L1Coefficient { get; init; } = 0.1;

    /// <summary>Standard and JumpReLU: the sparsity penalty ramps linearly from 0 over these steps.</summary>
    public long SparsityWarmupSteps { get; init; }

    /// <summary>JumpReLU: bandwidth ε of the rectangle kernel of the straight-through estimator.</summary>
    public double JumpReluBandwidth { get; init; } = 0.001;

    /// <summary>JumpReLU: initial threshold θ (all latents).</summary>
    public double JumpReluInitialThreshold { get; init; } = 0.001;

    /// <summary>JumpReLU: coefficient of the L0 penalty λ·(L0 / target − 1)² (dictionary_learning).</summary>
    public double L0Coefficient { get; init; } = 1.0;

    /// <summary>JumpReLU: target L0; null: the config's k.</summary>
    public double? TargetL0 { get; init; }

    /// <summary>TopK/BatchTopK inference threshold: EMA decay β of the minimum positive activation.</summary>
    public double ThresholdBeta { get; init; } = 0.999;

    /// <summary>The threshold EMA starts after this many steps.</summary>
    public long ThresholdStartStep { get; init; } = 1000;

    /// <summary>Seed of the SAE's random initialisation.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// TopK family: tokens per encoder chunk (bounds the [chunk, d_sae] pre-activation memory; chunks under glibc's
    /// 32 MiB mmap threshold are reused from the heap instead of being page-faulted in on every step).
    /// </summary>
    public int EncoderChunkTokens { get; init; } = 256;

    /// <summary>The default learning rate for a width: 2e-4 / √(d_sae / 2^14).</summary>
    public static double DefaultLearningRate(int dSae) => 2e-4 / Math.Sqrt(dSae / 16384.0);

    /// <summary>Learning-rate multiplier at optimizer step <paramref name="step"/> (0-based).</summary>
    public double LearningRateFactor(long step)
    {
        var factor = WarmupSteps > 0 ? Math.Min(1.0, (step + 1) / (double)WarmupSteps) : 1.0;
        if (DecayStartFraction is { } fraction)
        {
            var decayStart = (long)Math.Floor(fraction * TotalSteps);
            if (step >= decayStart && TotalSteps > decayStart)
                factor = Math.Min(factor, Math.Max(0.0, (TotalSteps - step) / (double)(TotalSteps - decayStart)));
        }
        return factor;
    }

    /// <summary>Throws on inconsistent values.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(TotalSteps, 1, nameof(TotalSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (LearningRate is { } lr && !(lr > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), lr, "learning rate must be positive");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Beta1), "Adam betas must be in [0, 1)");
        if (!(AdamEpsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(AdamEpsilon));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        if (DecayStartFraction is { } f && f is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(DecayStartFraction), f, "must be in [0, 1]");
        if (GradientClipNorm is { } c && !(c > 0)) throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), c, "must be positive");
        if (!(AuxKCoefficient >= 0)) throw new ArgumentOutOfRangeException(nameof(AuxKCoefficient));
        if (AuxK is { } k && k < 1) throw new ArgumentOutOfRangeException(nameof(AuxK), k, "k_aux must be positive");
        ArgumentOutOfRangeException.ThrowIfLessThan(DeadTokenWindow, 1, nameof(DeadTokenWindow));
        if (!(L1Coefficient >= 0) || !(L0Coefficient >= 0)) throw new ArgumentOutOfRangeException(nameof(L1Coefficient), "penalty coefficients must be non-negative");
        if (!(JumpReluBandwidth > 0) || !(JumpReluInitialThreshold > 0)) throw new ArgumentOutOfRangeException(nameof(JumpReluBandwidth), "JumpReLU bandwidth and threshold must be positive");
        if (TargetL0 is { } t && !(t > 0)) throw new ArgumentOutOfRangeException(nameof(TargetL0), t, "target L0 must be positive");
        if (ThresholdBeta is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(ThresholdBeta));
        ArgumentOutOfRangeException.ThrowIfLessThan(EncoderChunkTokens, 1, nameof(EncoderChunkTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(SparsityWarmupSteps, nameof(SparsityWarmupSteps));
    }
}

/// <summary>What one optimizer step did (losses on the training batch, in the normalised activation space).</summary>
/// <param name="Step">Steps completed (after this one).</param>
/// <param name="Tokens">Training tokens seen (after this one).</param>
/// <param name="Loss">The total loss that was back-propagated.</param>
/// <param name="ReconstructionLoss">mean_b ‖x − x̂‖² (MultiTopK: averaged over the k levels).</param>
/// <param name="AuxLoss">AuxK loss before its coefficient (0 when no latent is dead).</param>
/// <param name="SparsityLoss">L1 (Standard) or L0 (JumpReLU) penalty after its coefficient.</param>
/// <param name="L0">Mean active latents per token.</param>
/// <param name="Fvu">Σ‖x − x̂‖² / Σ‖x − x̄‖² on the batch.</param>
/// <param name="DeadLatents">Latents without activation in the last <see cref="SaeTrainingOptions.DeadTokenWindow"/> tokens.</param>
/// <param name="LearningRate">The learning rate used.</param>
/// <param name="GradientNorm">Joint gradient norm before clipping.</param>
public sealed record SaeStepStatistics(long Step, long Tokens, double Loss, double ReconstructionLoss, double AuxLoss, double SparsityLoss,
    double L0, double Fvu, long DeadLatents, double LearningRate, double GradientNorm);
