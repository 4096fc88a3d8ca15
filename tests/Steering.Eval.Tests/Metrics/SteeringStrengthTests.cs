using DiffusionSteering.Steering.Eval.Metrics;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Metrics;

public class SteeringStrengthTests
{
    [Fact]
    public void FractionOfTargetPredictions_HandWorked()
    {
        // 7 of 10 generations are classified as the target class 1.
        ConfidenceInterval ci = SteeringStrength.Compute([1, 1, 0, 1, 2, 1, 1, 0, 1, 1], 1);
        Assert.Equal(0.7, ci.Estimate, 15);
        Assert.True(ci.Contains(0.7));
        Assert.InRange(ci.Lower, 0.3, 0.7);
        Assert.InRange(ci.Upper, 0.7, 1.0);
    }

    [Fact]
    public void BooleanOverload_MatchesClassOverload()
    {
        var options = new BootstrapOptions { Seed = 3 };
        ConfidenceInterval fromClasses = SteeringStrength.Compute([2, 2, 0, 2], 2, options);
        ConfidenceInterval fromFlags = SteeringStrength.Compute([true, true, false, true], options);
        Assert.Equal(fromClasses, fromFlags);
        Assert.Equal(0.75, fromFlags.Estimate);
    }

    [Fact]
    public void AllHits_GiveDegenerateInterval()
    {
        Assert.Equal(new ConfidenceInterval(1, 1, 1, 0.95), SteeringStrength.Compute([4, 4, 4], 4));
    }

    [Fact]
    public void Empty_Throws()
    {
        Assert.Throws<ArgumentException>(() => SteeringStrength.Compute(ReadOnlySpan<int>.Empty, 1));
        Assert.Throws<ArgumentException>(() => SteeringStrength.Compute(ReadOnlySpan<bool>.Empty));
    }
}
