using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Statistics;

public class MultipleTestingTests
{
    [Fact]
    public void Bonferroni_MultipliesByFamilySize_AndCapsAtOne()
    {
        Assert.Equal([0.004, 0.2, 1.0, 1.0], MultipleTesting.Bonferroni([0.001, 0.05, 0.3, 1.0]));
    }

    [Fact]
    public void Bonferroni_ExplicitFamilySize()
    {
        double[] adjusted = MultipleTesting.Bonferroni([1e-5, 2e-4], 300);
        Assert.Equal(3e-3, adjusted[0], 15);
        Assert.Equal(6e-2, adjusted[1], 15);
        Assert.Equal(0.01 / 300, MultipleTesting.BonferroniThreshold(0.01, 300), 1e-18);
    }

    [Fact]
    public void Bonferroni_BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => MultipleTesting.Bonferroni([]));
        Assert.Throws<ArgumentException>(() => MultipleTesting.Bonferroni([0.5, double.NaN]));
        Assert.Throws<ArgumentException>(() => MultipleTesting.Bonferroni([1.5]));
        Assert.Throws<ArgumentException>(() => MultipleTesting.Bonferroni([0.1, 0.2], 1));
        Assert.Throws<ArgumentException>(() => MultipleTesting.BonferroniThreshold(0.0, 3));
    }
}
