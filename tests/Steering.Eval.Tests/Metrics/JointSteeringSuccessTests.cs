using DiffusionSteering.Steering.Eval.Metrics;

namespace DiffusionSteering.Steering.Eval.Tests.Metrics;

public class JointSteeringSuccessTests
{
    [Fact]
    public void HandWorked_TwoAttributes()
    {
        // Targets: sentiment = 1, topic = 2. Generation 0: both hit; 1: topic misses; 2: sentiment misses; 3: both hit.
        int[][] predicted = [[1, 1, 0, 1], [2, 0, 2, 2]];
        JointSuccessResult r = JointSteeringSuccess.Compute(predicted, [1, 2]);
        Assert.Equal(0.5, r.AllTargets.Estimate, 15);
        Assert.Equal(0.75, r.PerAttribute[0].Estimate, 15);
        Assert.Equal(0.75, r.PerAttribute[1].Estimate, 15);
        Assert.Equal(0.75, r.MeanOverAttributes.Estimate, 15);
        Assert.True(r.AllTargets.Contains(0.5));
    }

    [Fact]
    public void HandWorked_ThreeAttributes_MeanOverAttributes()
    {
        // Per generation hits: 3/3, 1/3, 2/3 → all-targets 1/3; per attribute 1, 2/3, 1/3; mean 2/3.
        int[][] predicted = [[0, 0, 0], [1, 5, 1], [2, 5, 5]];
        JointSuccessResult r = JointSteeringSuccess.Compute(predicted, [0, 1, 2]);
        Assert.Equal(1.0 / 3.0, r.AllTargets.Estimate, 15);
        Assert.Equal([1.0, 2.0 / 3.0, 1.0 / 3.0], r.PerAttribute.Select(c => c.Estimate).ToArray());
        Assert.Equal(2.0 / 3.0, r.MeanOverAttributes.Estimate, 15);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => JointSteeringSuccess.Compute(Array.Empty<int[]>(), Array.Empty<int>()));
        Assert.Throws<ArgumentException>(() => JointSteeringSuccess.Compute([[1, 2], [1]], [1, 1]));
        Assert.Throws<ArgumentException>(() => JointSteeringSuccess.Compute([[1, 2]], [1, 1]));
        Assert.Throws<ArgumentException>(() => JointSteeringSuccess.Compute([Array.Empty<int>()], [1]));
    }
}
