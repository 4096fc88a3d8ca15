using DiffusionSteering.Steering.Eval.Scorers;

namespace DiffusionSteering.Steering.Eval.Tests.Scorers;

public class ScorerEvaluationTests
{
    [Fact]
    public void WilsonIntervalMatchesTheTextbookValue()
    {
        // 8 of 10 correct: Wilson 95% interval [0.4902, 0.9433].
        ScorerEvaluation e = ScorerEvaluation.FromPredictions(["a", "b"], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(0.8, e.Accuracy, 12);
        Assert.Equal(0.4902, e.AccuracyInterval.Lower, 4);
        Assert.Equal(0.9433, e.AccuracyInterval.Upper, 4);
        Assert.True(double.IsNaN(e.AccuracyOf("b"))); // no examples of b
        Assert.Equal(0.8, e.BalancedAccuracy, 12);
    }

    [Fact]
    public void ThreeClassConfusion()
    {
        ScorerEvaluation e = ScorerEvaluation.FromPredictions(["x", "y", "z"], predicted: [0, 1, 2, 2, 0, 1], truth: [0, 1, 2, 1, 0, 2]);
        Assert.Equal(4.0 / 6.0, e.Accuracy, 12);
        Assert.Equal([[2, 0, 0], [0, 1, 1], [0, 1, 1]], e.Confusion);
        Assert.Equal([1.0, 0.5, 0.5], e.PerClassAccuracy);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Throws<ArgumentException>(() => ScorerEvaluation.FromPredictions(["a", "b"], [0], [0, 1]));
        Assert.Throws<ArgumentException>(() => ScorerEvaluation.FromPredictions(["a", "b"], [], []));
        Assert.Throws<ArgumentException>(() => ScorerEvaluation.FromPredictions(["a"], [0], [0]));
        Assert.Throws<ArgumentException>(() => ScorerEvaluation.FromPredictions(["a", "a"], [0], [0]));
        Assert.Throws<ArgumentException>(() => ScorerEvaluation.FromPredictions(["a", "b"], [2], [0]));
        ScorerEvaluation e = ScorerEvaluation.FromPredictions(["a", "b"], [0], [0]);
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => e.AccuracyOf("c"));
        Assert.Contains("'c'", unknown.Message);
    }
}
