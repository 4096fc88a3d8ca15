namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>DLM-Scope steering scores of one feature.</summary>
/// <param name="DeltaC">Concept gain ΔC = (mean C_steer − mean C_base) / 100.</param>
/// <param name="DeltaP">Relative perplexity change ΔP = (mean P_base − mean P_steer) / mean P_base (positive = steering lowered perplexity).</param>
/// <param name="S">Combined score S = ΔC + λ·ΔP.</param>
/// <param name="IsValid">False when no usable judge score exists for the base or steered texts; such features score 0 on all three.</param>
public sealed record DlmScopeFeatureScore(double DeltaC, double DeltaP, double S, bool IsValid);
