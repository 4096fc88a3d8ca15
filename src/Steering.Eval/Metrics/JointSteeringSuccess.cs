using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>
/// Joint success of multi-attribute steering (e.g. sentiment + topic + formality): both the strict "all targets at once"
/// rate and the per-attribute rates, since papers.md §2.7 notes paper b does not say which it reports.
/// </summary>
public static class JointSteeringSuccess
{
    /// <summary>Computes joint and per-attribute success over the same generations.</summary>
    /// <param name="predictedByAttribute">For each attribute a, the classifier decision per generation; all of equal, non-zero length.</param>
    /// <param name="targets">Target class per attribute (same count as <paramref name="predictedByAttribute"/>).</param>
    /// <param name="options">Bootstrap settings (one seed; every interval resamples generations with it).</param>
    public static JointSuccessResult Compute(IReadOnlyList<int[]> predictedByAttribute, IReadOnlyList<int> targets, BootstrapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictedByAttribute);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictedByAttribute.Count == 0)
        {
            throw new ArgumentException("At least one attribute is required.", nameof(predictedByAttribute));
        }

        if (targets.Count != predictedByAttribute.Count)
        {
            throw new ArgumentException(
                $"Got {predictedByAttribute.Count} attributes but {targets.Count} targets; give one target per attribute.", nameof(targets));
        }

        int generations = predictedByAttribute[0]?.Length ?? throw new ArgumentException("Attribute 0 is null.", nameof(predictedByAttribute));
        if (generations == 0)
        {
            throw new ArgumentException("At least one generation is required.", nameof(predictedByAttribute));
        }

        for (int a = 1; a < predictedByAttribute.Count; a++)
        {
            int length = predictedByAttribute[a]?.Length ?? throw new ArgumentException($"Attribute {a} is null.", nameof(predictedByAttribute));
            if (length != generations)
            {
                throw new ArgumentException(
                    $"Attribute {a} has {length} predictions but attribute 0 has {generations}; every attribute must score the same generations.",
                    nameof(predictedByAttribute));
            }
        }

        int attributes = predictedByAttribute.Count;
        var all = new double[generations];
        var fraction = new double[generations];
        var perAttribute = new ConfidenceInterval[attributes];
        Array.Fill(all, 1.0);
        for (int a = 0; a < attributes; a++)
        {
            var hits = new double[generations];
            for (int i = 0; i < generations; i++)
            {
                hits[i] = predictedByAttribute[a][i] == targets[a] ? 1.0 : 0.0;
                all[i] *= hits[i];
                fraction[i] += hits[i] / attributes;
            }

            perAttribute[a] = Bootstrap.Percentile(hits, null, options);
        }

        return new JointSuccessResult(
            Bootstrap.Percentile(all, null, options),
            perAttribute,
            Bootstrap.Percentile(fraction, null, options));
    }
}
