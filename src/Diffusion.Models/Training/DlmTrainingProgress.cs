namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>Reported by <see cref="DlmTrainer"/> after every optimizer step.</summary>
/// <param name="Step">Steps completed (1-based after the first step).</param>
/// <param name="TotalSteps">The configured <see cref="DlmTrainerOptions.MaxSteps"/>.</param>
/// <param name="TokensSeen">Training tokens consumed so far (windows × length), across resumes.</param>
/// <param name="Loss">This step's loss (1/t-weighted masked cross-entropy per token, nats).</param>
/// <param name="SmoothedLoss">An exponential moving average of the loss (weight 0.02 per step).</param>
/// <param name="LearningRate">The learning rate used for this step.</param>
/// <param name="MaxMaskRate">The curriculum's t_max for this step.</param>
/// <param name="GradientNorm">The global gradient norm before clipping.</param>
/// <param name="TokensPerSecond">Training throughput since this run (not the resumed part) started.</param>
/// <param name="Elapsed">Wall time spent training, across resumes.</param>
/// <param name="ValidationLoss">The held-out ELBO when this step ran an evaluation, else null.</param>
public sealed record DlmTrainingProgress(
    long Step, long TotalSteps, long TokensSeen, double Loss, double SmoothedLoss, double LearningRate, double MaxMaskRate,
    double GradientNorm, double TokensPerSecond, TimeSpan Elapsed, double? ValidationLoss);

/// <summary>One held-out evaluation: the full t ~ U(0, 1) ELBO in nats per token.</summary>
public sealed record DlmEvalPoint(long Step, long TokensSeen, double Loss);

/// <summary>The smoothed training loss at a logging step.</summary>
public sealed record DlmLossPoint(long Step, long TokensSeen, double SmoothedLoss, double MaxMaskRate, double LearningRate);

/// <summary>What <see cref="DlmTrainer.Train"/> returns.</summary>
/// <param name="Steps">Steps completed in total.</param>
/// <param name="TokensSeen">Training tokens consumed in total.</param>
/// <param name="Elapsed">Training wall time in total (across resumes).</param>
/// <param name="ResumedFromStep">The step the run continued from (0 for a fresh run).</param>
/// <param name="ValidationHistory">Every held-out evaluation, across resumes.</param>
/// <param name="LossHistory">The smoothed training loss at each logging step, across resumes.</param>
/// <param name="LastCheckpoint">The folder of the last checkpoint written, or null.</param>
public sealed record DlmTrainingResult(
    long Steps, long TokensSeen, TimeSpan Elapsed, long ResumedFromStep,
    IReadOnlyList<DlmEvalPoint> ValidationHistory, IReadOnlyList<DlmLossPoint> LossHistory, string? LastCheckpoint)
{
    /// <summary>Whether all <see cref="DlmTrainerOptions.MaxSteps"/> ran (false when <see cref="DlmTrainerOptions.MaxDuration"/> stopped it).</summary>
    public bool Completed { get; init; } = true;

    /// <summary>The last held-out ELBO, or null when there was no held-out data.</summary>
    public double? FinalValidationLoss => ValidationHistory.Count > 0 ? ValidationHistory[^1].Loss : null;
}
