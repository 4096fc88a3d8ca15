using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Steering.Schedules.Directions;
using DiffusionSteering.Steering.Schedules.Schedules;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Interventions;

/// <summary>
/// Adds a steering direction to the residual stream on a token scope with a per-step strength:
/// h ← h + α_t · s(h) · v for the scoped positions (DLM-Scope Eqs. 4 and 13–14). On steps where α_t = 0 it does
/// nothing at all, so a zero schedule reproduces the unsteered run bit for bit.
/// </summary>
public sealed class FeatureSteering : IResidualIntervention
{
    /// <summary>Creates the intervention, checking it against the model it will steer.</summary>
    public FeatureSteering(IDenoiser model, SteeringDirection direction, IInterventionSchedule schedule, int layer,
        HookPoint point = HookPoint.ResidPost, TokenScope? scope = null, SteeringScale? scale = null, string? name = null)
    {
        if (direction.Dimension != model.Spec.HiddenSize)
            throw new ArgumentException($"the direction has dimension {direction.Dimension} but the model's hidden size is {model.Spec.HiddenSize}");
        if (layer < 0 || layer >= model.Spec.NumLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {model.Spec.NumLayers - 1}]");
        if (!Enum.IsDefined(point)) throw new ArgumentOutOfRangeException(nameof(point), point, "unknown hook point");
        Direction = direction;
        Schedule = schedule;
        Site = new ResidualSite(layer, point);
        Scope = scope ?? TokenScope.All;
        Scale = scale ?? SteeringScale.Constant;
        Name = name ?? direction.Description;
    }

    /// <summary>The direction v.</summary>
    public SteeringDirection Direction { get; }
    /// <summary>α_t.</summary>
    public IInterventionSchedule Schedule { get; }
    /// <summary>Where it acts.</summary>
    public ResidualSite Site { get; }
    /// <summary>Which positions it edits.</summary>
    public TokenScope Scope { get; }
    /// <summary>s(h).</summary>
    public SteeringScale Scale { get; }
    /// <summary>A label for reports.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> Sites => [Site];

    /// <inheritdoc />
    public Tensor? Apply(StepContext step, ResidualSite site, Tensor residual)
    {
        var alpha = Schedule.Strength(step.StepIndex, step.TotalSteps);
        if (alpha == 0) return null;
        using var scope = NewDisposeScope();
        var selected = Scope.Select(step, residual).to(residual.dtype);          // [B, L]
        var s = Scale.Compute(residual);                                          // [B, L]
        var v = Direction.Vector.to(residual.device, residual.dtype);
        // h ← h + α·s(h)·v on the scoped positions (DLM-Scope Eq. 13).
        var coefficient = (selected * s * alpha).unsqueeze(-1);
        return (residual + coefficient * v).MoveToOuterDisposeScope();
    }
}
