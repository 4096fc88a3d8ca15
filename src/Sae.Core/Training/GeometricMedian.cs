using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Training;

/// <summary>The geometric median argmin_m Σᵢ ‖xᵢ − m‖ by Weiszfeld's iteration.</summary>
public static class GeometricMedian
{
    /// <summary>
    /// Weiszfeld: start at the mean, then m ← Σ wᵢxᵢ / Σ wᵢ with wᵢ = 1/‖xᵢ − m‖, until the step is below
    /// <paramref name="tolerance"/> (distances are floored at 1e-12 so a point on the estimate does not divide by 0).
    /// Computed in float64; returns [d] in the points' dtype.
    /// </summary>
    public static Tensor Compute(Tensor points, int maxIterations = 100, double tolerance = 1e-5)
    {
        if (points.shape is not [> 0, _]) throw new ArgumentException($"points must be [N ≥ 1, d], got [{string.Join(", ", points.shape)}]");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = points.to(ScalarType.Float64);
        var guess = x.mean(dim: 0);
        for (var i = 0; i < maxIterations; i++)
        {
            var weights = (x - guess).norm(1).clamp_min(1e-12).reciprocal();
            weights = weights / weights.sum();
            var next = (weights.unsqueeze(1) * x).sum(dim: 0);
            var moved = (next - guess).norm().item<double>();
            guess = next;
            if (moved < tolerance) break;
        }
        return guess.to(points.dtype).MoveToOuterDisposeScope();
    }
}
