using DiffusionSteering.Steering.Schedules.Commitment;

namespace DiffusionSteering.Steering.Schedules.Schedules;

/// <summary>What an adaptive schedule keeps equal to the uniform schedule it replaces.</summary>
public enum BudgetMatch
{
    /// <summary>Σ_t α_t = T·α (the same total strength).</summary>
    TotalStrength,
    /// <summary>Σ_t c_t α_t² = α²·Σ_t c_t (the same quadratic cost, i.e. the same trajectory-KL budget).</summary>
    QuadraticCost,
}

/// <summary>
/// The adaptive schedule: α_t ∝ s_t / c_t, the minimiser of the quadratic cost Σ c_t α_t² at fixed linear gain Σ s_t α_t
/// (the model behind Theorem 1 of arXiv 2605.10971). The rule is derived here from the theorem because the paper's
/// code is not public; the optional sharpening exponent (s_t^γ) and floor (α_t ≥ floor·max α) are our knobs. With no
/// signal at all it falls back to the uniform schedule.
/// </summary>
public sealed class AdaptiveSchedule : IInterventionSchedule
{
    private readonly double[] _alpha;

    /// <summary>
    /// Creates the schedule from a commitment profile, matched to a uniform schedule of strength
    /// <paramref name="uniformAlpha"/>.
    /// </summary>
    public AdaptiveSchedule(CommitmentProfile profile, double uniformAlpha, BudgetMatch budget = BudgetMatch.TotalStrength,
        double sharpening = 1.0, double floor = 0.0)
        : this(profile.Signal, profile.Cost, uniformAlpha, budget, sharpening, floor)
    {
        Profile = profile;
    }

    /// <summary>Creates the schedule from raw per-step signal and cost.</summary>
    public AdaptiveSchedule(IReadOnlyList<double> signal, IReadOnlyList<double> cost, double uniformAlpha,
        BudgetMatch budget = BudgetMatch.TotalStrength, double sharpening = 1.0, double floor = 0.0)
    {
        CommitmentMath.CheckProfile(signal, cost);
        if (!(sharpening > 0) || double.IsInfinity(sharpening)) throw new ArgumentOutOfRangeException(nameof(sharpening), sharpening, "sharpening must be positive and finite");
        if (!(floor >= 0 && floor < 1)) throw new ArgumentOutOfRangeException(nameof(floor), floor, "floor must be in [0, 1)");
        if (!Enum.IsDefined(budget)) throw new ArgumentOutOfRangeException(nameof(budget), budget, "unknown budget");
        var steps = signal.Count;
        // α_t ∝ s_t / c_t (optimum of min Σ c α² s.t. Σ s α = G).
        var weights = new double[steps];
        for (var t = 0; t < steps; t++) weights[t] = Math.Pow(signal[t], sharpening) / cost[t];
        var maxWeight = weights.Max();
        if (maxWeight <= 0)
        {
            for (var t = 0; t < steps; t++) weights[t] = 1;
            maxWeight = 1;
        }
        for (var t = 0; t < steps; t++) weights[t] = Math.Max(weights[t], floor * maxWeight);
        double scale;
        if (budget == BudgetMatch.TotalStrength)
        {
            scale = uniformAlpha * steps / weights.Sum();
        }
        else
        {
            double costSum = 0, weightedSquares = 0;
            for (var t = 0; t < steps; t++) { costSum += cost[t]; weightedSquares += cost[t] * weights[t] * weights[t]; }
            scale = Math.Abs(uniformAlpha) * Math.Sqrt(costSum / weightedSquares) * Math.Sign(uniformAlpha);
        }
        _alpha = weights.Select(w => w * scale).ToArray();
        UniformAlpha = uniformAlpha;
        Budget = budget;
    }

    /// <summary>The profile it was built from (null when built from raw arrays).</summary>
    public CommitmentProfile? Profile { get; }

    /// <summary>The strength of the uniform schedule it is matched to.</summary>
    public double UniformAlpha { get; }

    /// <summary>What is matched.</summary>
    public BudgetMatch Budget { get; }

    /// <summary>Steps T the schedule is defined on.</summary>
    public int Steps => _alpha.Length;

    /// <summary>α_t for every step.</summary>
    public IReadOnlyList<double> Strengths => _alpha;

    /// <inheritdoc />
    public double Strength(int step, int totalSteps)
    {
        if (totalSteps != _alpha.Length)
            throw new InvalidOperationException(
                $"this adaptive schedule was measured on {_alpha.Length} steps but the sampler runs {totalSteps}; resample the profile explicitly with CommitmentProfile.ResampleTo({totalSteps})");
        if (step < 0 || step >= totalSteps) throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be in [0, {totalSteps})");
        return _alpha[step];
    }
}
