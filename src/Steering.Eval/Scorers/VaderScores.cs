namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>VADER-style sentiment of one text.</summary>
/// <param name="Compound">Normalised score x/√(x² + 15) of the rule-adjusted valence sum x, in [−1, 1].</param>
/// <param name="Positive">Share of the text's sentiment mass that is positive (VADER's <c>pos</c>).</param>
/// <param name="Negative">Share that is negative (<c>neg</c>).</param>
/// <param name="Neutral">Share of tokens without sentiment (<c>neu</c>); Positive + Negative + Neutral = 1 unless the text has no tokens.</param>
/// <param name="Sum">The rule-adjusted valence sum x, punctuation amplifier included.</param>
/// <param name="Tokens">The tokens the rules saw.</param>
/// <param name="Valences">Each token's final valence (after negation, boosters, caps and "but"), aligned with <paramref name="Tokens"/>.</param>
public sealed record VaderScores(
    double Compound, double Positive, double Negative, double Neutral, double Sum,
    IReadOnlyList<string> Tokens, IReadOnlyList<double> Valences);
