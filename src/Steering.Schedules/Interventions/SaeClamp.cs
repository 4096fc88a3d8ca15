using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Steering.Schedules.Schedules;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Interventions;

/// <summary>
/// Sets an SAE latent to a value while keeping the SAE's reconstruction error: h ← x̂(z') + (h − x̂(z)) with z' = z except
/// z'_f = value (SAELens <c>use_error_term</c> splicing). Value 0 ablates the feature. The schedule gates the steps
/// (any non-zero α clamps).
/// </summary>
public sealed class SaeClamp : IResidualIntervention
{
    private readonly ISparseAutoencoder _sae;

    /// <summary>Creates the clamp.</summary>
    public SaeClamp(IDenoiser model, ISparseAutoencoder sae, long feature, double value, int layer, HookPoint point = HookPoint.ResidPost,
        IInterventionSchedule? schedule = null, TokenScope? scope = null)
    {
        if (sae.DIn != model.Spec.HiddenSize) throw new ArgumentException($"the SAE reads d_in = {sae.DIn} but the model's hidden size is {model.Spec.HiddenSize}");
        if (feature < 0 || feature >= sae.DSae) throw new ArgumentOutOfRangeException(nameof(feature), feature, $"feature must be in [0, {sae.DSae})");
        if (layer < 0 || layer >= model.Spec.NumLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {model.Spec.NumLayers - 1}]");
        _sae = sae;
        Feature = feature;
        Value = value;
        Site = new ResidualSite(layer, point);
        Schedule = schedule ?? new UniformSchedule(1);
        Scope = scope ?? TokenScope.All;
    }

    /// <summary>An ablation (clamp to 0).</summary>
    public static SaeClamp Ablation(IDenoiser model, ISparseAutoencoder sae, long feature, int layer, HookPoint point = HookPoint.ResidPost) =>
        new(model, sae, feature, 0, layer, point);

    /// <summary>The latent.</summary>
    public long Feature { get; }
    /// <summary>The value it is set to.</summary>
    public double Value { get; }
    /// <summary>Where it acts.</summary>
    public ResidualSite Site { get; }
    /// <summary>Which steps clamp (α ≠ 0).</summary>
    public IInterventionSchedule Schedule { get; }
    /// <summary>Which positions it edits.</summary>
    public TokenScope Scope { get; }

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> Sites => [Site];

    /// <inheritdoc />
    public Tensor? Apply(StepContext step, ResidualSite site, Tensor residual)
    {
        if (Schedule.Strength(step.StepIndex, step.TotalSteps) == 0) return null;
        using var scope = NewDisposeScope();
        var latents = _sae.Encode(residual);
        var clamped = latents.clone();
        clamped.select(-1, Feature).fill_(Value);
        // x' = decode(z') + (x − decode(z)) = x + decode(z') − decode(z).
        var edited = residual + (_sae.Decode(clamped) - _sae.Decode(latents)).to(residual.dtype);
        var selected = Scope.Select(step, residual).unsqueeze(-1);
        return where(selected, edited, residual).MoveToOuterDisposeScope();
    }
}
