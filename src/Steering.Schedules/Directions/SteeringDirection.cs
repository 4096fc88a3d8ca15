using DiffusionSteering.Sae.Core;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Directions;

/// <summary>
/// A direction v [d] added to the residual stream, with a description of where it came from. Owns its tensor.
/// </summary>
public sealed class SteeringDirection : IDisposable
{
    private SteeringDirection(Tensor vector, string description)
    {
        var shape = vector.shape;
        if (shape.Length != 1) throw new ArgumentException($"a steering direction must be a vector [d], got [{string.Join(", ", shape)}]");
        if (!vector.dtype.IsFloatingPoint()) throw new ArgumentException($"a steering direction must be floating point, got {vector.dtype}");
        Vector = vector.detach().clone().DetachFromDisposeScope();
        Description = description;
    }

    /// <summary>The direction [d].</summary>
    public Tensor Vector { get; }

    /// <summary>Width d.</summary>
    public int Dimension => (int)Vector.size(0);

    /// <summary>Where it came from (for reports).</summary>
    public string Description { get; }

    /// <summary>An arbitrary vector (copied).</summary>
    public static SteeringDirection FromVector(Tensor vector, string description = "vector") => new(vector, description);

    /// <summary>One SAE decoder atom: row <paramref name="feature"/> of W_dec (DLM-Scope Eq. 4's d_f).</summary>
    public static SteeringDirection FromSaeFeature(ISparseAutoencoder sae, long feature)
    {
        using var atom = sae.DecoderDirection(feature);
        return new SteeringDirection(atom, $"SAE feature {feature}");
    }

    /// <summary>
    /// A weighted sum of decoder atoms Σ wᵢ·W_dec[fᵢ] (e.g. an attribute's top-20 contrastive features), optionally
    /// rescaled to unit norm.
    /// </summary>
    public static SteeringDirection FromSaeFeatures(ISparseAutoencoder sae, IReadOnlyList<(long feature, double weight)> features, bool normalize = false)
    {
        if (features.Count == 0) throw new ArgumentException("at least one feature is needed", nameof(features));
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        foreach (var (feature, weight) in features)
        {
            var term = sae.DecoderDirection(feature) * weight;
            sum = sum is null ? term : sum + term;
        }
        if (normalize) sum = sum! / sum!.norm().clamp_min(1e-12);
        return new SteeringDirection(sum!, $"SAE features {string.Join(",", features.Select(f => f.feature))}");
    }

    /// <summary>
    /// The contrastive mean difference v = mean(A) − mean(B) of activations [n, d] of two classes (CAA, Rimsky et al.
    /// 2024, Eq. 1: the mean activation difference at the chosen layer).
    /// </summary>
    public static SteeringDirection ContrastiveMean(Tensor activationsA, Tensor activationsB)
    {
        if (activationsA.dim() != 2 || activationsB.dim() != 2 || activationsA.size(1) != activationsB.size(1))
            throw new ArgumentException($"class activations must be [n, d] with the same d, got {activationsA} and {activationsB}");
        if (activationsA.size(0) == 0 || activationsB.size(0) == 0) throw new ArgumentException("each class needs at least one activation");
        using var scope = NewDisposeScope();
        var difference = activationsA.to(ScalarType.Float32).mean(0) - activationsB.to(ScalarType.Float32).mean(0);
        return new SteeringDirection(difference, "contrastive mean difference");
    }

    /// <summary>Frees the vector.</summary>
    public void Dispose() => Vector.Dispose();
}
