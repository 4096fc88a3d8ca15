using DiffusionSteering.Steering.Eval.DecodingOrder;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.DecodingOrder;

/// <summary>
/// DLM-Scope Eqs. 20–24 on a hand-worked trajectory. One sequence, 4 positions, T = 4 steps, 6 latents, K = 2.
/// <code>
/// position  masked in input at k   τ     top-2 sets k0..k3                  top-1 k0..k3
/// p0        0, 1                   2     {0,1} {0,2} {2,3} {2,3}            0 0 3 3
/// p1        0, 1, 2, 3             –     {4}   {4}   {4,5} ∅                4 4 5 −1
/// p2        never (prompt)         –     {0}   {1}   {2}   {3}              (ignored)
/// p3        0                      1     {0,1} {0,1} {1,5} {1,5}            0 1 5 1
/// </code>
/// Pre-mask (masked at k−1 and k): p0@1 J({0,2},{0,1}) = 1/3; p1@1 1; p1@2 J({4,5},{4}) = 1/2; p1@3 J(∅,{4,5}) = 0
///   → mean (1/3 + 1 + 1/2 + 0)/4 = 11/24; by step: k1 2/3, k2 1/2, k3 0.
/// Lock: p0@1 0=0 ✓, p1@1 ✓, p1@2 ✗, p1@3 ✗ → 2/4; by step: k1 1, k2 0, k3 0.
/// Drift vs k−1 (k &gt; τ): p0@3 1 − J({2,3},{2,3}) = 0; p3@2 1 − J({1,5},{0,1}) = 2/3; p3@3 0 → (2/3)/3 = 2/9.
/// Drift vs τ: p0@3 0; p3@2 2/3; p3@3 1 − J({1,5},{0,1}) = 2/3 → (4/3)/3 = 4/9.
/// Flips (top-1 change, k &gt; τ): p0@3 3→3 no; p3@2 1→5 yes; p3@3 5→1 yes → counts p0 0, p3 2; mean 1; flip rate 2/3.
/// </summary>
public sealed class DecodingOrderMathTests
{
    private static float[] Code(params (int Index, float Value)[] entries)
    {
        var code = new float[6];
        foreach (var (i, v) in entries) code[i] = v;
        return code;
    }

    internal static LatentTrajectory HandWorked()
    {
        var codes = new List<float[][]>
        {
            new[] { Code((0, 3), (1, 2)), Code((4, 1)), Code((0, 1)), Code((1, 1), (0, 2)) },
            new[] { Code((0, 3), (2, 2)), Code((4, 1)), Code((1, 1)), Code((1, 3), (0, 2)) },
            new[] { Code((3, 4), (2, 1)), Code((5, 2), (4, 1)), Code((2, 1)), Code((5, 3), (1, 1)) },
            new[] { Code((3, 5), (2, 1)), Code(), Code((3, 1)), Code((1, 4), (5, 3)) },
        };
        var masked = new List<bool[]>
        {
            new[] { true, true, false, true },
            new[] { true, true, false, false },
            new[] { false, true, false, false },
            new[] { false, true, false, false },
        };
        return new LatentTrajectory(codes, masked);
    }

    private static readonly DecodingOrderOptions K2 = new() { TopK = 2, ProgressBins = 4 };

    [Fact]
    public void JaccardOfSortedSets()
    {
        Assert.Equal(0.5, DecodingOrderMath.Jaccard([1, 2, 3], [2, 3, 4]), 12);
        Assert.Equal(1.0, DecodingOrderMath.Jaccard([], []), 12);
        Assert.Equal(0.0, DecodingOrderMath.Jaccard([1], []), 12);
        Assert.Equal(1.0 / 3, DecodingOrderMath.Jaccard([0, 2], [0, 1]), 12);
        Assert.Contains("ascending", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Jaccard([3, 1], [1])).Message);
    }

    [Fact]
    public void TopKKeepsTheLargestPositiveLatentsAndBreaksTiesTowardsLowerIndex()
    {
        float[] code = [0, 5, 3, 0, 5, 1, -7];
        Assert.Equal([1, 4], DecodingOrderMath.TopKSet(code, 2));
        Assert.Equal([1, 2, 4], DecodingOrderMath.TopKSet(code, 3));
        Assert.Equal([1, 2, 4, 5], DecodingOrderMath.TopKSet(code, 50));          // never pads with zeros or negatives
        Assert.Equal([1], DecodingOrderMath.TopKSet([0, 2, 2, 2], 1));
        Assert.Empty(DecodingOrderMath.TopKSet([0, 0, 0], 5));
        Assert.Throws<ArgumentException>(() => DecodingOrderMath.TopKSet(code, 0));
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => DecodingOrderMath.TopKSet([1, float.NaN], 1)).Message);
    }

    [Fact]
    public void Top1IsTheArgmaxOfTheAbsoluteValue()
    {
        Assert.Equal(1, DecodingOrderMath.Top1([0.5f, -2, 1]));   // Eq. 22 uses |z|
        Assert.Equal(0, DecodingOrderMath.Top1([3, 3]));
        Assert.Equal(-1, DecodingOrderMath.Top1([0, 0, 0]));
        Assert.Throws<ArgumentException>(() => DecodingOrderMath.Top1([float.NaN]));
    }

    [Fact]
    public void ProgressBinsFollowKOverT()
    {
        Assert.Equal(22, DecodingOrderMath.ProgressBin(3, 8, 60));   // 3/8·60 = 22.5
        Assert.Equal(59, DecodingOrderMath.ProgressBin(8, 8, 60));   // the top edge falls in the last bin
        Assert.Equal(0, DecodingOrderMath.ProgressBin(0, 8, 60));
        Assert.Throws<ArgumentException>(() => DecodingOrderMath.ProgressBin(9, 8, 60));
    }

    [Fact]
    public void PreMaskStabilityMatchesTheHandWorkedValue()
    {
        var r = DecodingOrderMath.Evaluate([HandWorked()], K2);
        var s = r.PreMaskStability;
        Assert.Equal(4, s.Count);
        Assert.Equal(11.0 / 24, s.Mean, 12);
        Assert.True(double.IsNaN(s.ByStep[0]));
        Assert.Equal(2.0 / 3, s.ByStep[1], 12);
        Assert.Equal(0.5, s.ByStep[2], 12);
        Assert.Equal(0.0, s.ByStep[3], 12);
        Assert.Equal([0L, 2, 1, 1], s.StepCounts);
        Assert.Equal(s.ByStep.Skip(1), s.ByProgress.Skip(1));   // 4 bins over 4 steps: bin = k
    }

    [Fact]
    public void PostDecodeDriftAgainstThePreviousStepMatchesTheHandWorkedValue()
    {
        var r = DecodingOrderMath.Evaluate([HandWorked()], K2);
        Assert.Equal(3, r.PostDecodeDrift.Count);
        Assert.Equal(2.0 / 9, r.PostDecodeDrift.Mean, 12);
        Assert.Equal(2.0 / 3, r.PostDecodeDrift.ByStep[2], 12);
        Assert.Equal(0.0, r.PostDecodeDrift.ByStep[3], 12);
    }

    [Fact]
    public void PostDecodeDriftAgainstTheDecodeStepMatchesTheHandWorkedValue()
    {
        var r = DecodingOrderMath.Evaluate([HandWorked()], K2 with { Drift = DriftReference.DecodeStep });
        Assert.Equal(4.0 / 9, r.PostDecodeDrift.Mean, 12);
        Assert.Equal(2.0 / 3, r.PostDecodeDrift.ByStep[2], 12);   // p3 vs its τ = 1 set
        Assert.Equal(1.0 / 3, r.PostDecodeDrift.ByStep[3], 12);   // p0: 0, p3: 2/3
    }

    [Fact]
    public void LockRateMatchesTheHandWorkedValue()
    {
        var r = DecodingOrderMath.Evaluate([HandWorked()], K2);
        Assert.Equal(0.5, r.LockRate.Mean, 12);
        Assert.Equal(4, r.LockRate.Count);
        Assert.Equal(1.0, r.LockRate.ByStep[1], 12);
        Assert.Equal(0.0, r.LockRate.ByStep[2], 12);
        Assert.Equal(0.0, r.LockRate.ByStep[3], 12);
    }

    [Fact]
    public void FlipCountMatchesTheHandWorkedValue()
    {
        var r = DecodingOrderMath.Evaluate([HandWorked()], K2);
        Assert.Equal([0, 2], r.FlipCounts);                 // p0 (τ = 2), p3 (τ = 1), in position order
        Assert.Equal(1.0, r.MeanFlipCount, 12);
        Assert.Equal(2.0, r.FlipCount.ByStep[1], 12);       // indexed by τ
        Assert.Equal(0.0, r.FlipCount.ByStep[2], 12);
        Assert.Equal(2.0 / 3, r.PostDecodeFlipRate.Mean, 12);
        Assert.Equal(1.0, r.PostDecodeFlipRate.ByStep[2], 12);
        Assert.Equal(0.5, r.PostDecodeFlipRate.ByStep[3], 12);
    }

    [Fact]
    public void DefaultSixtyBinsPlaceStepKAtKOverT()
    {
        var r = DecodingOrderMath.Evaluate([HandWorked()], new DecodingOrderOptions { TopK = 2 });
        var s = r.PreMaskStability;
        Assert.Equal(60, s.ByProgress.Count);
        Assert.Equal(2.0 / 3, s.ByProgress[15], 12);   // k = 1: 1/4·60
        Assert.Equal(0.5, s.ByProgress[30], 12);       // k = 2
        Assert.Equal(0.0, s.ByProgress[45], 12);       // k = 3
        Assert.Equal(3, s.ProgressCounts.Count(c => c > 0));
        var (x, y) = s.ProgressCurve();
        Assert.Equal([15.5 / 60, 30.5 / 60, 45.5 / 60], x);
        Assert.Equal(3, y.Length);
    }

    [Fact]
    public void SequencesArePooledAndTheBootstrapResamplesSequences()
    {
        var second = new LatentTrajectory(
            [new[] { Code((0, 1)) }, new[] { Code((0, 1)) }, new[] { Code((0, 1)) }, new[] { Code((0, 1)) }],
            [new[] { true }, new[] { true }, new[] { true }, new[] { true }]);
        var r = DecodingOrderMath.Evaluate([HandWorked(), second], K2);
        // second sequence adds 3 masked transitions with J = 1: (11/6 + 3)/7
        Assert.Equal((11.0 / 6 + 3) / 7, r.PreMaskStability.Mean, 12);
        Assert.Equal(2, r.Sequences);
        Assert.Equal([11.0 / 6, 3.0], r.PreMaskStability.UnitSums);
        var ci = r.PreMaskStability.Interval(new BootstrapOptions { Resamples = 500, Seed = 3 });
        Assert.NotNull(ci);
        Assert.True(ci.Lower >= 11.0 / 24 - 1e-12 && ci.Upper <= 1.0 + 1e-12);   // pooled ratios of resampled units lie between the unit ratios
        Assert.True(ci.Contains(r.PreMaskStability.Mean));
        Assert.Null(DecodingOrderMath.Evaluate([second], K2).PostDecodeDrift.Interval());   // nothing decoded: no interval
    }

    [Fact]
    public void BadTrajectoriesAreRejectedWithClearMessages()
    {
        Assert.Contains("At least one", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([], K2)).Message);
        var t = HandWorked();
        var shortMasks = t with { Masked = t.Masked.Take(3).ToArray() };
        Assert.Contains("lengths must match", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([shortMasks], K2)).Message);
        var badPositions = t with { Masked = [.. t.Masked.Take(3), new[] { true }] };
        Assert.Contains("mask entries", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([badPositions], K2)).Message);
        var nan = new LatentTrajectory([new[] { new[] { 1f, float.NaN } }], [new[] { true }]);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([nan], K2)).Message);
        var ragged = new LatentTrajectory([new[] { new[] { 1f, 2f }, new[] { 1f } }], [new[] { true, true }]);
        Assert.Contains("latents", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([ragged], K2)).Message);
        var empty = new LatentTrajectory([], []);
        Assert.Contains("no step", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([empty], K2)).Message);
        Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([t], new DecodingOrderOptions { TopK = 0 }));
        Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([t], new DecodingOrderOptions { ProgressBins = 0 }));
        Assert.Contains("smaller", Assert.Throws<ArgumentException>(() => DecodingOrderMath.Evaluate([t with { TotalSteps = 2 }], K2)).Message);
    }
}
