using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>Multi-attribute steering success with bootstrap intervals (resampling generations).</summary>
/// <param name="AllTargets">Fraction of generations that hit every attribute's target at once.</param>
/// <param name="PerAttribute">Steering strength of each attribute separately, in input order.</param>
/// <param name="MeanOverAttributes">Mean over attributes of the per-attribute strengths (= mean per-generation fraction of targets hit).</param>
public sealed record JointSuccessResult(
    ConfidenceInterval AllTargets,
    IReadOnlyList<ConfidenceInterval> PerAttribute,
    ConfidenceInterval MeanOverAttributes);
