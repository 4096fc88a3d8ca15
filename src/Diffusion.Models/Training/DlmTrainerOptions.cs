namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>
/// Settings of <see cref="DlmTrainer"/>. The defaults are those of the embedded model (LLaDA-style pretraining of a
/// small model on CPU): batch 32 × 128, AdamW (β 0.9/0.95, weight decay 0.01), lr 1e-3 with 200 warm-up steps and
/// cosine decay to 10 %, gradient clipping at 1, and a masking-rate curriculum t ~ U(ε, t_max) with t_max rising from
/// 0.3 to 1 over the first 1,000 steps.
/// </summary>
public sealed record DlmTrainerOptions
{
    /// <summary>Tokens per training window (at most the model's maximum sequence length).</summary>
    public int SequenceLength { get; init; } = 128;

    /// <summary>Windows per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Total optimizer steps; the learning-rate schedule ends here.</summary>
    public long MaxSteps { get; init; } = 10_000;

    /// <summary>Peak learning rate (after warm-up).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Linear warm-up steps from 0 to <see cref="LearningRate"/>.</summary>
    public long WarmupSteps { get; init; } = 200;

    /// <summary>The cosine decay ends at this fraction of <see cref="LearningRate"/> (at <see cref="MaxSteps"/>).</summary>
    public double MinLearningRateFactor { get; init; } = 0.1;

    /// <summary>AdamW β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β2.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW ε.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>AdamW decoupled weight decay (applied to every parameter).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Clip the gradient's global L2 norm to this value; 0 disables clipping.</summary>
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>ε: the smallest mask rate; t ~ U(ε, t_max) (LLaDA and MDLM use 1e-3).</summary>
    public double MinMaskRate { get; init; } = 1e-3;

    /// <summary>t_max at step 0 of the curriculum (1 disables the curriculum).</summary>
    public double InitialMaxMaskRate { get; init; } = 0.3;

    /// <summary>Steps over which t_max rises linearly from <see cref="InitialMaxMaskRate"/> to 1 (0: no curriculum).</summary>
    public long CurriculumSteps { get; init; } = 1000;

    /// <summary>Run forward passes under bf16 autocast on the CPU (3–4× faster where the CPU has AVX512-BF16).</summary>
    public bool Bf16Autocast { get; init; }

    /// <summary>
    /// Compute the LM head only at masked positions (exact for this loss, and faster); used for models whose layers
    /// the trainer can run itself (LLaDA), otherwise the full forward pass is used.
    /// </summary>
    public bool MaskedPositionsHead { get; init; } = true;

    /// <summary>Seed of the trainer's generator (mask rates, masks) and of the window order.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>Evaluate the held-out ELBO every this many steps (and at the end); 0: only at the end.</summary>
    public long EvalInterval { get; init; } = 500;

    /// <summary>Held-out windows per evaluation (the same windows and masks every time), in batches of <see cref="BatchSize"/>.</summary>
    public int EvalWindows { get; init; } = 256;

    /// <summary>Log and record the smoothed training loss every this many steps.</summary>
    public long LogInterval { get; init; } = 50;

    /// <summary>Checkpoint folder (null: no checkpoints, no resume).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Checkpoint every this many steps (0: only by time, on cancellation and at the end).</summary>
    public long CheckpointInterval { get; init; } = 1000;

    /// <summary>Also checkpoint when this much wall time has passed since the last checkpoint (null: off).</summary>
    public TimeSpan? CheckpointEvery { get; init; }

    /// <summary>How many checkpoints to keep (the oldest are deleted).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>
    /// Stop (with a checkpoint, without an error) once training has taken this much wall time in total, across
    /// resumes, even before <see cref="MaxSteps"/>; the schedule still spans MaxSteps, so running again with a larger
    /// limit continues it exactly. Null: no limit.
    /// </summary>
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>Continue from the latest checkpoint in <see cref="CheckpointDirectory"/> when there is one.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>
    /// Extra files written into every checkpoint folder, by file name (e.g. <c>config.json</c>, <c>tokenizer.json</c>),
    /// so that a checkpoint folder loads directly with <c>DenoiserLoader</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? CheckpointFiles { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}");
        }
        Check(SequenceLength >= 2, nameof(SequenceLength), SequenceLength, "must be at least 2");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be positive");
        Check(MaxSteps >= 1, nameof(MaxSteps), MaxSteps, "must be positive");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be positive and finite");
        Check(WarmupSteps >= 0 && WarmupSteps <= MaxSteps, nameof(WarmupSteps), WarmupSteps, "must be in [0, MaxSteps]");
        Check(MinLearningRateFactor is >= 0 and <= 1, nameof(MinLearningRateFactor), MinLearningRateFactor, "must be in [0, 1]");
        Check(Beta1 is >= 0 and < 1, nameof(Beta1), Beta1, "must be in [0, 1)");
        Check(Beta2 is >= 0 and < 1, nameof(Beta2), Beta2, "must be in [0, 1)");
        Check(AdamEpsilon >= 0, nameof(AdamEpsilon), AdamEpsilon, "must be non-negative");
        Check(WeightDecay >= 0, nameof(WeightDecay), WeightDecay, "must be non-negative");
        Check(GradientClipNorm >= 0 && !double.IsNaN(GradientClipNorm), nameof(GradientClipNorm), GradientClipNorm, "must be non-negative (0 disables)");
        Check(MinMaskRate is > 0 and < 1, nameof(MinMaskRate), MinMaskRate, "must be in (0, 1)");
        Check(InitialMaxMaskRate > MinMaskRate && InitialMaxMaskRate <= 1, nameof(InitialMaxMaskRate), InitialMaxMaskRate, "must be in (MinMaskRate, 1]");
        Check(CurriculumSteps >= 0, nameof(CurriculumSteps), CurriculumSteps, "must be non-negative");
        Check(EvalInterval >= 0, nameof(EvalInterval), EvalInterval, "must be non-negative");
        Check(EvalWindows >= 1, nameof(EvalWindows), EvalWindows, "must be positive");
        Check(LogInterval >= 1, nameof(LogInterval), LogInterval, "must be positive");
        Check(CheckpointInterval >= 0, nameof(CheckpointInterval), CheckpointInterval, "must be non-negative");
        Check(CheckpointEvery is null || CheckpointEvery > TimeSpan.Zero, nameof(CheckpointEvery), CheckpointEvery!, "must be positive");
        Check(MaxDuration is null || MaxDuration > TimeSpan.Zero, nameof(MaxDuration), MaxDuration!, "must be positive");
        Check(KeepCheckpoints >= 1, nameof(KeepCheckpoints), KeepCheckpoints, "must be at least 1");
        if (CheckpointFiles is not null)
            foreach (var name in CheckpointFiles.Keys)
                if (string.IsNullOrWhiteSpace(name) || name != Path.GetFileName(name) || name is "model.safetensors" or DlmCheckpoint.StateFile or DlmCheckpoint.TrainerFile)
                    throw new ArgumentException($"checkpoint file name '{name}' must be a plain file name other than the trainer's own", nameof(CheckpointFiles));
    }

    /// <summary>t_max at <paramref name="step"/> (0-based): the curriculum's linear ramp, then 1.</summary>
    public double MaxMaskRateAt(long step) =>
        CurriculumSteps <= 0 || step >= CurriculumSteps ? 1.0 : InitialMaxMaskRate + (1 - InitialMaxMaskRate) * step / CurriculumSteps;
}
