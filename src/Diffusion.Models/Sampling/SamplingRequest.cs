using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>Progress of a sampling run.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps in the run.</param>
public readonly record struct SamplingProgress(int Step, int TotalSteps);

/// <summary>What to sample: prompts, randomness, and the observers and interventions that ride along.</summary>
public sealed record SamplingRequest
{
    /// <summary>Prompt ids [B, Lp] (int64), left-padded when rows differ in length (with <see cref="AttentionMask"/>).</summary>
    public required Tensor PromptIds { get; init; }

    /// <summary>Optional 0/1 mask [B, Lp] over the prompt (0 = padding).</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>
    /// One seed per row: each row draws from its own generator, so a row's output does not depend on which other rows
    /// share its batch. Exclusive with <see cref="Generator"/>.
    /// </summary>
    public IReadOnlyList<ulong>? Seeds { get; init; }

    /// <summary>
    /// One generator for the whole batch, drawn in the reference implementation's order (e.g. one
    /// <c>rand((B, L))</c> per step): with a generator seeded as <c>torch.manual_seed(s)</c> the draws equal the
    /// reference's. When neither this nor <see cref="Seeds"/> is set, libtorch's default generator is used.
    /// </summary>
    public Generator? Generator { get; init; }

    /// <summary>Residual interventions applied on every forward pass (each decides per step whether to act).</summary>
    public IReadOnlyList<IResidualIntervention> Interventions { get; init; } = [];

    /// <summary>Observers called once per step.</summary>
    public IReadOnlyList<ISamplerObserver> Observers { get; init; } = [];

    /// <summary>Receives (step, total) after each step.</summary>
    public IProgress<SamplingProgress>? Progress { get; init; }

    /// <summary>Keep the sequence after every step in <see cref="SamplingResult.Trajectory"/>.</summary>
    public bool RecordTrajectory { get; init; }
}

/// <summary>The outcome of a sampling run. Owns its tensors: dispose it (or let an enclosing scope do so).</summary>
public sealed class SamplingResult : IDisposable
{
    internal SamplingResult(Tensor sequences, IReadOnlyList<Tensor>? trajectory)
    {
        Sequences = sequences;
        Trajectory = trajectory;
    }

    /// <summary>The final sequences [B, Lp + generated] (prompt included).</summary>
    public Tensor Sequences { get; }

    /// <summary>When requested: the canvas before step 1 followed by the sequence after each step (steps + 1 tensors [B, L]).</summary>
    public IReadOnlyList<Tensor>? Trajectory { get; }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Sequences.Dispose();
        if (Trajectory is not null) foreach (var t in Trajectory) t.Dispose();
    }
}
