using DiffusionSteering.Steering.Eval.Metrics;

namespace DiffusionSteering.Steering.Eval.Tests.Metrics;

public class DlmScopeSteeringScoreTests
{
    private static DlmScopeFeatureSamples Example() => new(
        ConceptBase: [20, 30, null, 40, 10],
        ConceptSteered: [60, 70, null, 80, 50],
        PerplexityBase: [20, 22, 18, 20, 20],
        PerplexitySteered: [25, 25, 25, 25, 25]);

    [Fact]
    public void ScoreFeature_HandWorked()
    {
        // Judge failures (null) are excluded: mean C_base = 25, mean C_steer = 65 → ΔC = 0.40.
        // Mean P_base = 20, mean P_steer = 25 → ΔP = (20 − 25)/20 = −0.25. S = 0.40 + 0.3·(−0.25) = 0.325.
        DlmScopeFeatureScore s = DlmScopeSteeringScore.ScoreFeature(Example());
        Assert.True(s.IsValid);
        Assert.Equal(0.40, s.DeltaC, 14);
        Assert.Equal(-0.25, s.DeltaP, 14);
        Assert.Equal(0.325, s.S, 14);
    }

    [Theory]
    // DLM-Scope Table 2 cells (ΔC, ΔP, S), each rounded to two decimals, so |ΔC + 0.3ΔP − S| ≤ 0.005 + 0.0015 + 0.005.
    [InlineData(0.08, -7.89, -2.29)] // LLaMA-3-8B L1
    [InlineData(0.18, -2.14, -0.46)] // LLaMA-3-8B L6
    [InlineData(0.33, 0.18, 0.38)] // Dream-Unmask L27
    [InlineData(0.22, -0.26, 0.14)] // Qwen-2.5-7B L14
    [InlineData(0.35, -0.35, 0.24)] // Dream-Mask L23
    [InlineData(0.14, 0.04, 0.15)] // LLaDA-Mask L11
    public void Combine_ReproducesTable2(double deltaC, double deltaP, double s)
    {
        Assert.Equal(s, DlmScopeSteeringScore.Combine(deltaC, deltaP), 0.0115);
    }

    [Fact]
    public void Aggregate_InvalidFeaturesCountAsZero()
    {
        var invalid = new DlmScopeFeatureSamples([null, null], [null, null], [10, 10], [12, 12]);
        DlmScopeSummary summary = DlmScopeSteeringScore.Aggregate([Example(), invalid]);
        Assert.Equal(1, summary.InvalidFeatureCount);
        Assert.False(summary.Features[1].IsValid);
        Assert.Equal(0.20, summary.DeltaC.Estimate, 14);
        Assert.Equal(-0.125, summary.DeltaP.Estimate, 14);
        Assert.Equal(0.1625, summary.S.Estimate, 14);
        Assert.Equal(0.3, summary.Lambda);
        Assert.True(summary.S.Lower <= 0.1625 && summary.S.Upper >= 0.1625);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.ScoreFeature(Example() with { ConceptBase = [120.0] }));
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.ScoreFeature(Example() with { ConceptSteered = [double.NaN] }));
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.ScoreFeature(Example() with { PerplexityBase = [0.0] }));
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.ScoreFeature(Example() with { PerplexitySteered = [double.NaN] }));
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.ScoreFeature(Example() with { PerplexitySteered = [] }));
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.Aggregate([]));
        Assert.Throws<ArgumentException>(() => DlmScopeSteeringScore.Combine(double.NaN, 0));
    }
}
