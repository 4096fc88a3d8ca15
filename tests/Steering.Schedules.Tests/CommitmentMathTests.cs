using DiffusionSteering.Steering.Schedules.Commitment;
using DiffusionSteering.Steering.Schedules.Schedules;

namespace DiffusionSteering.Steering.Schedules.Tests;

public class CommitmentMathTests
{
    [Fact]
    public void BlockFractionsSumToOneAndIgnoreDecreases()
    {
        // 17 steps, 8 blocks with boundaries 0, 2, 4, …, 16: increases 0.2 (b0), 0.5 (b2), a decrease of 0.3 (b4,
        // ignored) and 0.3 (b7).
        double[] curve = [0, 0.1, 0.2, 0.2, 0.2, 0.4, 0.7, 0.7, 0.7, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.5, 0.7];
        var f = CommitmentMath.BlockFractions(curve, 8);
        Assert.Equal(1.0, f.Sum(), 12);
        Assert.Equal(0.2, f[0], 12);
        Assert.Equal(0.5, f[2], 12);
        Assert.Equal(0.0, f[4], 12);
        Assert.Equal(0.3, f[7], 12);
        Assert.Equal(0.0, f[1] + f[3] + f[5] + f[6], 12);
    }

    [Fact]
    public void EmergenceIsTheNormalisedSmoothedDeviationFromStepZero()
    {
        double[] mean = [2, 2, 1, 3, 4];           // |h − h0| = 0, 0, 1, 1, 2
        Assert.Equal(new[] { 0, 0, 0.5, 0.5, 1.0 }, CommitmentMath.EmergenceCurve(mean));
        var smoothed = CommitmentMath.EmergenceCurve(mean, 3);   // centred means: 0, 1/3, 2/3, 4/3, 3/2 → /1.5
        Assert.Equal(new[] { 0, 2.0 / 9, 4.0 / 9, 8.0 / 9, 1.0 }, smoothed, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void AdaptiveEqualsUniformWhenSignalOverCostIsConstant()
    {
        double[] cost = [1, 2, 0.5, 4, 3];
        var signal = cost.Select(c => 3 * c).ToArray();
        var adaptive = new AdaptiveSchedule(signal, cost, 0.7);
        Assert.All(adaptive.Strengths, a => Assert.Equal(0.7, a, 12));
        Assert.Equal(1.0, CommitmentMath.EfficiencyRatio(signal, cost), 12);
    }

    [Fact]
    public void CostRatioAtEqualControlIsOnePlusCvSquared()
    {
        var random = new Random(42);
        for (var trial = 0; trial < 20; trial++)
        {
            var steps = random.Next(4, 64);
            var signal = Enumerable.Range(0, steps).Select(_ => random.NextDouble() < 0.2 ? 0 : random.NextDouble()).ToArray();
            var cost = Enumerable.Range(0, steps).Select(_ => 0.1 + random.NextDouble()).ToArray();
            if (signal.Sum() == 0) signal[0] = 1;
            var adaptive = new AdaptiveSchedule(signal, cost, 1.0).Strengths;
            // Scale uniform to the adaptive schedule's control Σ s α.
            var control = signal.Zip(adaptive, (s, a) => s * a).Sum();
            var uniformAlpha = control / signal.Sum();
            var uniformCost = cost.Sum() * uniformAlpha * uniformAlpha;
            var adaptiveCost = cost.Zip(adaptive, (c, a) => c * a * a).Sum();
            var cv = CommitmentMath.CoefficientOfVariation(signal, cost);
            Assert.Equal(1 + cv * cv, uniformCost / adaptiveCost, 9);
        }
    }

    [Fact]
    public void QuadraticCostBudgetMatchesTheUniformCost()
    {
        double[] signal = [0, 1, 3, 0.5, 0], cost = [1, 1, 2, 1, 0.5];
        var adaptive = new AdaptiveSchedule(signal, cost, 2.0, BudgetMatch.QuadraticCost).Strengths;
        Assert.Equal(4.0 * cost.Sum(), cost.Zip(adaptive, (c, a) => c * a * a).Sum(), 9);
        var total = new AdaptiveSchedule(signal, cost, 2.0).Strengths;
        Assert.Equal(2.0 * 5, total.Sum(), 9);
        Assert.Equal(0, total[0]);   // untouched steps stay untouched
    }

    [Fact]
    public void ProfilesRoundTripThroughJsonAndResampleExplicitly()
    {
        var curve = Enumerable.Range(0, 16).Select(t => Math.Tanh(t / 4.0)).ToArray();
        var profile = CommitmentProfile.FromCurve("m", "sentiment", 3, [1, 2, 3], curve, smoothingWindow: 3);
        var copy = CommitmentProfile.FromJson(profile.ToJson());
        Assert.Equal(profile.Signal, copy.Signal);
        Assert.Equal(profile.Features, copy.Features);
        Assert.Equal(profile.PredictedEfficiencyRatio, copy.PredictedEfficiencyRatio, 12);
        var schedule = new AdaptiveSchedule(profile, 1.0);
        var e = Assert.Throws<InvalidOperationException>(() => schedule.Strength(0, 32));
        Assert.Contains("measured on 16 steps", e.Message);
        var resampled = profile.ResampleTo(32);
        Assert.Equal(32, resampled.Steps);
        Assert.Equal(profile.Signal.Sum(), resampled.Signal.Sum(), 9);
        Assert.Equal(profile.Cost.Sum(), resampled.Cost.Sum(), 9);
        Assert.Equal(1.0, new AdaptiveSchedule(resampled, 1.0).Strengths.Average(), 9);
    }

    [Fact]
    public void BadSchedulesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowSchedule(1, -0.1, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowSchedule(1, 0.2, 1.5));
        Assert.Throws<ArgumentException>(() => new WindowSchedule(1, 0.6, 0.5));
        Assert.Throws<ArgumentException>(() => new AdaptiveSchedule([1, 2], [1], 1));
        Assert.Throws<ArgumentException>(() => new AdaptiveSchedule([1, -2], [1, 1], 1));
        Assert.Throws<ArgumentException>(() => new AdaptiveSchedule([1, 2], [1, 0], 1));
        Assert.Equal(0, new WindowSchedule(3, 0.5, 0.5).Strength(8, 16));
        Assert.Equal(3, new WindowSchedule(3, 0.5, 1).Strength(15, 16));
        Assert.Equal(0, new ShiftedSchedule(new WindowSchedule(1, 0, 0.25), 4).Strength(2, 16));
        Assert.Equal(1, new ShiftedSchedule(new WindowSchedule(1, 0, 0.25), 4).Strength(5, 16));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
