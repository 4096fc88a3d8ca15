using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>
/// DLM-Scope's steering metrics (paper a, Eqs. 17–19; definitions as recovered in papers.md §1.3 from the official
/// evaluation code): concept gain ΔC, relative perplexity change ΔP and their combination S = ΔC + λ·ΔP with λ = 0.3.
/// </summary>
public static class DlmScopeSteeringScore
{
    /// <summary>DLM-Scope's weight of ΔP in S.</summary>
    public const double DefaultLambda = 0.3;

    /// <summary>S = ΔC + λ·ΔP.</summary>
    /// <param name="deltaC">Concept gain ΔC.</param>
    /// <param name="deltaP">Relative perplexity change ΔP.</param>
    /// <param name="lambda">Weight of ΔP (default 0.3).</param>
    public static double Combine(double deltaC, double deltaP, double lambda = DefaultLambda)
    {
        if (!double.IsFinite(deltaC) || !double.IsFinite(deltaP) || !double.IsFinite(lambda))
        {
            throw new ArgumentException("ΔC, ΔP and λ must be finite.");
        }

        // DLM-Scope (paper a) Eq. 19: S = ΔC + λ·ΔP with λ = 0.3.
        return deltaC + (lambda * deltaP);
    }

    /// <summary>Scores one feature from its per-prefix measurements.</summary>
    /// <param name="samples">Concept scores and perplexities per prefix.</param>
    /// <param name="lambda">Weight of ΔP in S (default 0.3).</param>
    public static DlmScopeFeatureScore ScoreFeature(DlmScopeFeatureSamples samples, double lambda = DefaultLambda)
    {
        ArgumentNullException.ThrowIfNull(samples);
        double? conceptBase = MeanConcept(samples.ConceptBase, nameof(samples.ConceptBase));
        double? conceptSteered = MeanConcept(samples.ConceptSteered, nameof(samples.ConceptSteered));
        double perplexityBase = MeanPerplexity(samples.PerplexityBase, nameof(samples.PerplexityBase));
        double perplexitySteered = MeanPerplexity(samples.PerplexitySteered, nameof(samples.PerplexitySteered));
        if (conceptBase is null || conceptSteered is null)
        {
            return new DlmScopeFeatureScore(0.0, 0.0, 0.0, IsValid: false);
        }

        // DLM-Scope (paper a) Eq. 17: ΔC = (mean C_steer − mean C_base) / 100.
        double deltaC = (conceptSteered.Value - conceptBase.Value) / 100.0;
        // DLM-Scope (paper a) Eq. 18: ΔP = (mean P_base − mean P_steer) / mean P_base.
        double deltaP = (perplexityBase - perplexitySteered) / perplexityBase;
        return new DlmScopeFeatureScore(deltaC, deltaP, Combine(deltaC, deltaP, lambda), IsValid: true);
    }

    /// <summary>
    /// SAE-level scores: the mean of each per-feature score over all features, invalid features counting as 0 and staying
    /// in the denominator (as in DLM-Scope's evaluation), with percentile-bootstrap intervals that resample features.
    /// </summary>
    /// <param name="features">Per-feature measurements (non-empty).</param>
    /// <param name="lambda">Weight of ΔP in S (default 0.3).</param>
    /// <param name="options">Bootstrap settings; defaults when null.</param>
    public static DlmScopeSummary Aggregate(IReadOnlyList<DlmScopeFeatureSamples> features, double lambda = DefaultLambda, BootstrapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0)
        {
            throw new ArgumentException("At least one feature is required.", nameof(features));
        }

        var scores = new DlmScopeFeatureScore[features.Count];
        var deltaC = new double[features.Count];
        var deltaP = new double[features.Count];
        var s = new double[features.Count];
        int invalid = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = ScoreFeature(features[i] ?? throw new ArgumentException($"Feature {i} is null.", nameof(features)), lambda);
            deltaC[i] = scores[i].DeltaC;
            deltaP[i] = scores[i].DeltaP;
            s[i] = scores[i].S;
            invalid += scores[i].IsValid ? 0 : 1;
        }

        return new DlmScopeSummary(
            Bootstrap.Percentile(deltaC, null, options),
            Bootstrap.Percentile(deltaP, null, options),
            Bootstrap.Percentile(s, null, options),
            scores,
            invalid,
            lambda);
    }

    private static double? MeanConcept(IReadOnlyList<double?> scores, string name)
    {
        if (scores is null || scores.Count == 0)
        {
            throw new ArgumentException($"{name} needs one entry per prefix (null marks a judge failure).", name);
        }

        double sum = 0;
        int count = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            if (scores[i] is not double value)
            {
                continue;
            }

            if (!(value >= 0.0 && value <= 100.0))
            {
                throw new ArgumentException($"{name}[{i}] is {value}; concept scores must lie in [0, 100] (use null for a judge failure).", name);
            }

            sum += value;
            count++;
        }

        return count == 0 ? null : sum / count;
    }

    private static double MeanPerplexity(IReadOnlyList<double> perplexities, string name)
    {
        if (perplexities is null || perplexities.Count == 0)
        {
            throw new ArgumentException($"{name} needs one perplexity per prefix.", name);
        }

        double sum = 0;
        for (int i = 0; i < perplexities.Count; i++)
        {
            double value = perplexities[i];
            if (!double.IsFinite(value) || value <= 0.0)
            {
                throw new ArgumentException($"{name}[{i}] is {value}; perplexities must be finite and positive.", name);
            }

            sum += value;
        }

        return sum / perplexities.Count;
    }
}
