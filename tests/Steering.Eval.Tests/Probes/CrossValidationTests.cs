using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Tests.Probes;

public class CrossValidationTests
{
    [Fact]
    public void CrossValidate_ReportsPerFoldAccuracyMeanAndStd()
    {
        (double[][] x, int[] y) = LogisticRegressionTests.Blobs(400, 4, 12, spread: 1.2);
        CrossValidationResult cv = LogisticRegression.CrossValidate(x, y, seed: 5);
        Assert.Equal(5, cv.FoldAccuracies.Count);
        Assert.Equal(cv.FoldAccuracies.Average(), cv.MeanAccuracy, 14);
        double mean = cv.MeanAccuracy;
        double sd = Math.Sqrt(cv.FoldAccuracies.Sum(a => (a - mean) * (a - mean)) / 4);
        Assert.Equal(sd, cv.StandardDeviation, 14);
        Assert.InRange(cv.MeanAccuracy, 0.85, 1.0);

        CrossValidationResult again = LogisticRegression.CrossValidate(x.SelectMany(r => r).ToArray(), 2, y, seed: 5);
        Assert.Equal(cv.FoldAccuracies, again.FoldAccuracies);
    }

    [Fact]
    public void CrossValidate_RandomLabels_IsNearChance()
    {
        var rng = new DiffusionSteering.Steering.Eval.Statistics.Xoshiro256StarStar(77);
        double[][] x = Enumerable.Range(0, 400).Select(_ => new[] { rng.NextGaussian(), rng.NextGaussian(), rng.NextGaussian() }).ToArray();
        int[] y = Enumerable.Range(0, 400).Select(_ => rng.NextInt(2)).ToArray();
        CrossValidationResult cv = LogisticRegression.CrossValidate(x, y, folds: 10, seed: 1);
        Assert.Equal(10, cv.FoldAccuracies.Count);
        Assert.InRange(cv.MeanAccuracy, 0.4, 0.6);
    }

    [Fact]
    public void CrossValidate_TooFewPerClass_Throws()
    {
        double[][] x = [[0], [1], [2], [3], [4], [5]];
        Assert.Throws<ArgumentException>(() => LogisticRegression.CrossValidate(x, [0, 0, 0, 0, 1, 1]));
    }
}
