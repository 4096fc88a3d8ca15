namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Outcome of a two-sided Mann–Whitney U (Wilcoxon rank-sum) test of samples a and b.</summary>
/// <param name="U">U statistic of sample a: #{(i, j): a_i &gt; b_j} + ½·#{(i, j): a_i = b_j} = R_a − n_a(n_a + 1)/2.</param>
/// <param name="CountA">Size n_a of sample a.</param>
/// <param name="CountB">Size n_b of sample b.</param>
/// <param name="MeanU">Null mean of U, n_a·n_b / 2.</param>
/// <param name="StandardDeviationU">Tie-corrected null standard deviation of U.</param>
/// <param name="Z">Normal score (U − mean ∓ ½) / sd with the continuity correction when enabled; 0 when sd is 0.</param>
/// <param name="PValue">Two-sided p-value (normal approximation, or exact null distribution when <paramref name="IsExact"/>).</param>
/// <param name="HasTies">Whether any value occurs more than once in the pooled sample.</param>
/// <param name="IsExact">True when <paramref name="PValue"/> comes from the exact null distribution.</param>
public sealed record MannWhitneyResult(
    double U,
    int CountA,
    int CountB,
    double MeanU,
    double StandardDeviationU,
    double Z,
    double PValue,
    bool HasTies,
    bool IsExact)
{
    /// <summary>U statistic of sample b, n_a·n_b − U.</summary>
    public double UComplement => ((double)CountA * CountB) - U;

    /// <summary>min(U, n_a·n_b − U), the form tabulated in textbooks.</summary>
    public double UMin => Math.Min(U, UComplement);
}
