using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void WarmupCosineValues()
    {
        var f = optim.lr_scheduler.WarmupCosine(10, 110, 0.1);
        for (var s = 0; s < 10; s++) Assert.Equal((s + 1) / 10.0, f(s), 12);   // linear ramp, reaching 1 at the last warmup step
        Assert.Equal(1.0, f(10), 12);
        for (var s = 10; s <= 110; s++)
        {
            var progress = (s - 10) / 100.0;
            Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)), f(s), 12);
        }
        Assert.Equal(0.55, f(60), 12);                                          // half way: the midpoint
        Assert.Equal(0.1, f(110), 12);
        Assert.Equal(0.1, f(5000), 12);                                         // constant after the end
        var noWarmup = optim.lr_scheduler.WarmupCosine(0, 4);
        double[] expected = [1, 0.5 + 0.5 * Math.Cos(Math.PI / 4), 0.5, 0.5 - 0.5 * Math.Cos(Math.PI / 4), 0, 0];
        for (var s = 0; s < expected.Length; s++) Assert.Equal(expected[s], noWarmup(s), 12);
    }

    [Fact]
    public void WarmupLinearAndConstantValues()
    {
        var lin = optim.lr_scheduler.WarmupLinear(4, 14, 0.2);
        Assert.Equal(new[] { 0.25, 0.5, 0.75, 1 }, Enumerable.Range(0, 4).Select(s => lin(s)));
        for (var s = 4; s <= 14; s++) Assert.Equal(1 - 0.8 * (s - 4) / 10.0, lin(s), 12);
        Assert.Equal(0.2, lin(100), 12);
        var c = optim.lr_scheduler.WarmupConstant(3);
        Assert.Equal(new[] { 1 / 3.0, 2 / 3.0, 1, 1, 1 }, Enumerable.Range(0, 5).Select(s => c(s)));
        Assert.Equal(1.0, optim.lr_scheduler.WarmupConstant(0)(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.WarmupCosine(-1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.WarmupLinear(10, 5));
    }

    [Fact]
    public void LambdaLRDrivesTheOptimizerLearningRate()
    {
        using var scope = NewDisposeScope();
        var p = new nn.Parameter(ones(1));
        using var opt = new optim.AdamW([p], lr: 0.02);
        var f = optim.lr_scheduler.WarmupCosine(5, 25);
        var sched = new optim.lr_scheduler.LambdaLR(opt, f);
        Assert.Equal(0.02 * f(0), opt.LearningRate, 15);
        for (var s = 1; s <= 30; s++)
        {
            sched.step();
            Assert.Equal(s, sched.LastStep);
            Assert.Equal(0.02 * f(s), opt.LearningRate, 15);
        }
        Assert.Equal(0.02, opt.InitialLearningRate);
        sched.set_step(7);
        Assert.Equal(0.02 * f(7), opt.LearningRate, 15);
        // The schedule's rate is the one the step uses: a zero-rate step leaves the parameter alone (no decay either).
        var zero = new optim.lr_scheduler.LambdaLR(opt, _ => 0);
        p.grad = ones(1);
        opt.step();
        Assert.Equal(1f, p.item<float>());
        _ = zero;
    }
}
