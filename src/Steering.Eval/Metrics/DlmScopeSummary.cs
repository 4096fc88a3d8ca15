using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>SAE-level DLM-Scope steering scores: means over features (invalid ones count as 0) with bootstrap intervals over features.</summary>
/// <param name="DeltaC">Mean ΔC with its interval.</param>
/// <param name="DeltaP">Mean ΔP with its interval.</param>
/// <param name="S">Mean S with its interval.</param>
/// <param name="Features">Per-feature scores in input order.</param>
/// <param name="InvalidFeatureCount">Features without usable judge scores (scored 0, kept in the denominator).</param>
/// <param name="Lambda">Weight λ of ΔP in S.</param>
public sealed record DlmScopeSummary(
    ConfidenceInterval DeltaC,
    ConfidenceInterval DeltaP,
    ConfidenceInterval S,
    IReadOnlyList<DlmScopeFeatureScore> Features,
    int InvalidFeatureCount,
    double Lambda);
