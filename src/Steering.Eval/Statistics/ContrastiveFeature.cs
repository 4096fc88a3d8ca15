namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Statistics of one tested feature in the contrastive selection.</summary>
/// <param name="Feature">Feature (SAE latent) index.</param>
/// <param name="Rank">Zero-based position in the |d| ranking.</param>
/// <param name="CohensD">Effect size, class A minus class B.</param>
/// <param name="MeanA">Mean activation in class A (from the streaming moments).</param>
/// <param name="MeanB">Mean activation in class B.</param>
/// <param name="U">Mann–Whitney U of class A's raw values.</param>
/// <param name="Z">Mann–Whitney normal score.</param>
/// <param name="PValue">Raw two-sided p-value.</param>
/// <param name="AdjustedPValue">Bonferroni-adjusted p-value over the tested set.</param>
/// <param name="Direction">Sign of <paramref name="CohensD"/>.</param>
/// <param name="Significant">Adjusted p &lt; α and |d| above the optional minimum.</param>
public sealed record ContrastiveFeature(
    int Feature,
    int Rank,
    double CohensD,
    double MeanA,
    double MeanB,
    double U,
    double Z,
    double PValue,
    double AdjustedPValue,
    FeatureDirection Direction,
    bool Significant);
