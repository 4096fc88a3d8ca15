namespace DiffusionSteering.Steering.Eval.Metrics;

/// <summary>
/// Raw DLM-Scope steering measurements of one feature over its prefixes (n_prefix = 5 in DLM-Scope): the LLM-judge
/// concept score C ∈ [0, 100] and the external-LM perplexity P of prefix + continuation, without and with steering.
/// </summary>
/// <param name="ConceptBase">Concept score per prefix without steering; null where the judge failed (excluded from the average).</param>
/// <param name="ConceptSteered">Concept score per prefix with steering; null where the judge failed.</param>
/// <param name="PerplexityBase">Perplexity per prefix without steering (positive).</param>
/// <param name="PerplexitySteered">Perplexity per prefix with steering (positive).</param>
public sealed record DlmScopeFeatureSamples(
    IReadOnlyList<double?> ConceptBase,
    IReadOnlyList<double?> ConceptSteered,
    IReadOnlyList<double> PerplexityBase,
    IReadOnlyList<double> PerplexitySteered);
