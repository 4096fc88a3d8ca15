using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>
/// Steering strength: the fraction of generations that the evaluation classifier assigns to the target class
/// (paper b's headline metric, e.g. "93% steering strength"; the definition is this library's reading, see papers.md §2.7).
/// </summary>
public static class SteeringStrength
{
    /// <summary>Fraction of predictions equal to <paramref name="targetClass"/>, with a bootstrap percentile interval over generations.</summary>
    /// <param name="predictedClasses">Classifier decision per generation (non-empty).</param>
    /// <param name="targetClass">Class the steering aimed for.</param>
    /// <param name="options">Bootstrap settings; defaults when null.</param>
    public static ConfidenceInterval Compute(ReadOnlySpan<int> predictedClasses, int targetClass, BootstrapOptions? options = null)
    {
        if (predictedClasses.IsEmpty)
        {
            throw new ArgumentException("At least one generation is required.", nameof(predictedClasses));
        }

        var hits = new double[predictedClasses.Length];
        for (int i = 0; i < hits.Length; i++)
        {
            hits[i] = predictedClasses[i] == targetClass ? 1.0 : 0.0;
        }

        return Bootstrap.Percentile(hits, null, options);
    }

    /// <summary>Fraction of successes, with a bootstrap percentile interval over generations.</summary>
    /// <param name="success">Per-generation flag "classified as the target" (e.g. after a probability threshold).</param>
    /// <param name="options">Bootstrap settings; defaults when null.</param>
    public static ConfidenceInterval Compute(ReadOnlySpan<bool> success, BootstrapOptions? options = null)
    {
        if (success.IsEmpty)
        {
            throw new ArgumentException("At least one generation is required.", nameof(success));
        }

        var hits = new double[success.Length];
        for (int i = 0; i < hits.Length; i++)
        {
            hits[i] = success[i] ? 1.0 : 0.0;
        }

        return Bootstrap.Percentile(hits, null, options);
    }
}
