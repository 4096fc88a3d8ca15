using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Statistics;

public class EffectSizeTests
{
    [Fact]
    public void CohensD_HandWorked_EqualSizes()
    {
        // a: mean 4, s² = 4; b: mean 2, s² = 1; pooled s² = 2.5; d = 2 / √2.5.
        double[] a = [2, 4, 6];
        double[] b = [1, 2, 3];
        double expected = 2.0 / Math.Sqrt(2.5);
        Assert.Equal(expected, EffectSize.CohensD(a, b), 12);
        Assert.Equal(expected, EffectSize.CohensD(a, b, CohensDPooling.Averaged), 12);
        Assert.Equal(-expected, EffectSize.CohensD(b, a), 12);
    }

    [Fact]
    public void CohensD_HandWorked_UnequalSizes_DistinguishesPoolingRules()
    {
        // a = {2,4,6}: mean 4, s² = 4. b = {1,3}: mean 2, s² = 2.
        // Weighted: s_p² = (2·4 + 1·2) / 3 = 10/3. Averaged (paper b): s_p² = (4 + 2) / 2 = 3.
        double[] a = [2, 4, 6];
        double[] b = [1, 3];
        Assert.Equal(2.0 / Math.Sqrt(10.0 / 3.0), EffectSize.CohensD(a, b, CohensDPooling.Weighted), 12);
        Assert.Equal(2.0 / Math.Sqrt(3.0), EffectSize.CohensD(a, b, CohensDPooling.Averaged), 12);
    }

    [Fact]
    public void CohensD_FromMoments_MatchesArrays()
    {
        var rng = new Xoshiro256StarStar(5);
        const int features = 3;
        var a = new double[40 * features];
        var b = new double[25 * features];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = rng.NextGaussian() + 0.5;
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = 2 * rng.NextGaussian();
        }

        var ma = new FeatureMoments(features);
        var mb = new FeatureMoments(features);
        ma.AddBatch(a);
        mb.AddBatch(b);
        foreach (CohensDPooling pooling in new[] { CohensDPooling.Weighted, CohensDPooling.Averaged })
        {
            double[] d = EffectSize.CohensD(ma, mb, pooling);
            for (int f = 0; f < features; f++)
            {
                double[] colA = Enumerable.Range(0, 40).Select(r => a[(r * features) + f]).ToArray();
                double[] colB = Enumerable.Range(0, 25).Select(r => b[(r * features) + f]).ToArray();
                Assert.Equal(EffectSize.CohensD(colA, colB, pooling), d[f], 10);
            }
        }
    }

    [Fact]
    public void CohensD_ZeroVariance_IsZeroOrInfinite()
    {
        Assert.Equal(0.0, EffectSize.CohensD([0.0, 0.0], [0.0, 0.0]));
        Assert.Equal(double.PositiveInfinity, EffectSize.CohensD([1.0, 1.0], [0.0, 0.0]));
        Assert.Equal(double.NegativeInfinity, EffectSize.CohensD([0.0, 0.0], [1.0, 1.0]));
    }

    [Fact]
    public void CohensD_BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => EffectSize.CohensD([1.0], [1.0, 2.0]));
        Assert.Throws<ArgumentException>(() => EffectSize.CohensD([1.0, double.NaN], [1.0, 2.0]));
        Assert.Throws<ArgumentException>(() => EffectSize.CohensD(1, -1, 5, 0, 1, 5));
        Assert.Throws<ArgumentException>(() => EffectSize.CohensD(new FeatureMoments(2), new FeatureMoments(3)));
        var one = new FeatureMoments(1);
        one.AddRow([1.0]);
        Assert.Throws<ArgumentException>(() => EffectSize.CohensD(one, one));
    }
}
