using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Optim;

public class OptimizerTests
{
    /// <summary>Adam/AdamW (PyTorch's algorithm) by hand in double.</summary>
    private sealed class ReferenceAdam(double[] p, double lr, double b1, double b2, double eps, double wd, bool decoupled)
    {
        private readonly double[] _m = new double[p.Length];
        private readonly double[] _v = new double[p.Length];
        private int _t;
        public double[] P { get; } = (double[])p.Clone();

        public void Step(double[] grad)
        {
            _t++;
            for (var i = 0; i < P.Length; i++)
            {
                var g = grad[i];
                if (wd != 0)
                {
                    if (decoupled) P[i] *= 1 - lr * wd;
                    else g += wd * P[i];
                }
                _m[i] = b1 * _m[i] + (1 - b1) * g;
                _v[i] = b2 * _v[i] + (1 - b2) * g * g;
                var mHat = _m[i] / (1 - Math.Pow(b1, _t));
                var vHat = _v[i] / (1 - Math.Pow(b2, _t));
                P[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 0.1)]
    [InlineData(true, 0.0)]
    public void AdamAndAdamWStepsMatchAHandComputedUpdate(bool decoupled, double wd)
    {
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { float64, float32 })
        {
            var p0 = Rng.Doubles(1, 6, -2, 2);
            if (dtype == float32) p0 = p0.Select(v => (double)(float)v).ToArray();
            var param = new nn.Parameter(tensor(p0, [2, 3]).to(dtype));
            const double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-6;
            using optim.Optimizer opt = decoupled
                ? new optim.AdamW([param], lr, b1, b2, eps, wd)
                : new optim.Adam([param], lr, b1, b2, eps, wd);
            var reference = new ReferenceAdam(p0, lr, b1, b2, eps, wd, decoupled);
            for (var step = 0; step < 3; step++)
            {
                var g = Rng.Doubles(10 + step, 6, -1, 1);
                if (dtype == float32) g = g.Select(v => (double)(float)v).ToArray();
                param.grad = tensor(g, [2, 3]).to(dtype);
                opt.step();
                reference.Step(g);
                var tol = dtype == float64 ? 1e-12 : 2e-6;
                TensorAssert.Close(reference.P, [2, 3], param, tol, tol, $"{dtype} step {step + 1}");
            }
            Assert.Equal(3, opt.StepCount);
        }
    }

    [Fact]
    public void AdamWDefaultsAndSkipsParametersWithoutGradients()
    {
        using var scope = NewDisposeScope();
        var a = new nn.Parameter(ones(3));
        var b = new nn.Parameter(ones(2));
        using var opt = new optim.AdamW([a, b]);
        Assert.Equal(1e-3, opt.LearningRate);
        Assert.Equal(0.01, opt.WeightDecay);
        Assert.Equal(0.9, opt.Beta1);
        Assert.Equal(0.999, opt.Beta2);
        a.grad = ones(3);
        opt.step();
        Assert.Equal(new[] { 1f, 1f }, b.data<float>());        // no gradient: untouched, no decay either
        Assert.All(a.data<float>(), v => Assert.Equal((float)(1 * (1 - 1e-5) - 1e-3), v, 6));
        Assert.DoesNotContain("1.exp_avg", opt.state_dict().Keys);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BiasCorrectionCountsEachParametersOwnSteps(bool adamW)
    {
        // PyTorch keeps a step count per parameter, advanced only when it has a gradient: a parameter whose first
        // gradient arrives at the optimizer's third step gets a first-step update.
        using var scope = NewDisposeScope();
        var a0 = Rng.Doubles(50, 3);
        var b0 = Rng.Doubles(51, 4);
        var a = new nn.Parameter(tensor(a0));
        var b = new nn.Parameter(tensor(b0));
        const double lr = 0.1, wd = 0.05;
        using optim.Optimizer opt = adamW ? new optim.AdamW([a, b], lr, weight_decay: wd) : new optim.Adam([a, b], lr, weight_decay: wd);
        var refA = new ReferenceAdam(a0, lr, 0.9, 0.999, 1e-8, wd, adamW);
        var refB = new ReferenceAdam(b0, lr, 0.9, 0.999, 1e-8, wd, adamW);
        for (var step = 0; step < 4; step++)
        {
            var ga = Rng.Doubles(60 + step, 3);
            a.grad = tensor(ga);
            refA.Step(ga);
            b.grad = null;
            if (step >= 2)
            {
                var gb = Rng.Doubles(70 + step, 4);
                b.grad = tensor(gb);
                refB.Step(gb);
            }
            opt.step();
            TensorAssert.Close(refA.P, [3], a, 1e-12, 1e-12, $"a after step {step + 1}");
            TensorAssert.Close(refB.P, [4], b, 1e-12, 1e-12, $"b after step {step + 1}");
        }

        // The per-parameter counts survive a state dict round trip.
        var state = opt.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var a2 = new nn.Parameter(a.detach().clone());
        var b2 = new nn.Parameter(b.detach().clone());
        using optim.Optimizer opt2 = adamW ? new optim.AdamW([a2, b2], lr, weight_decay: wd) : new optim.Adam([a2, b2], lr, weight_decay: wd);
        opt2.load_state_dict(state);
        var g5a = Rng.Doubles(80, 3);
        var g5b = Rng.Doubles(81, 4);
        a.grad = tensor(g5a); b.grad = tensor(g5b);
        a2.grad = tensor(g5a); b2.grad = tensor(g5b);
        opt.step();
        opt2.step();
        Assert.Equal(a.data<double>(), a2.data<double>());
        Assert.Equal(b.data<double>(), b2.data<double>());
    }

    [Fact]
    public void SgdStep()
    {
        using var scope = NewDisposeScope();
        var p = new nn.Parameter(tensor(new[] { 1.0, 2.0 }));
        using var opt = new optim.SGD([p], 0.5);
        p.grad = tensor(new[] { 0.2, -0.4 });
        opt.step();
        Assert.Equal(new[] { 0.9, 2.2 }, p.data<double>());
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        using var scope = NewDisposeScope();
        var p = new nn.Parameter(ones(1));
        Assert.Throws<ArgumentException>(() => new optim.AdamW([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new optim.AdamW([p], lr: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([p], beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new optim.Adam([p], beta2: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new optim.AdamW([p], weight_decay: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.utils.clip_grad_norm_([p], 0));
    }

    [Fact]
    public void SmallRegressionConverges()
    {
        using var scope = NewDisposeScope();
        var xraw = Rng.Floats(20, 64 * 3);
        double[] wStar = [1.5, -2, 0.5];
        const double bStar = 0.3;
        var yraw = Enumerable.Range(0, 64).Select(i => (float)(xraw[i * 3] * wStar[0] + xraw[i * 3 + 1] * wStar[1] + xraw[i * 3 + 2] * wStar[2] + bStar)).ToArray();
        var x = tensor(xraw, [64, 3]);
        var y = tensor(yraw, [64, 1]);
        using var model = new nn.Linear(3, 1);
        using var opt = new optim.AdamW(model.parameters(), lr: 0.05, weight_decay: 0);
        double first = 0, last = 0;
        for (var step = 0; step < 400; step++)
        {
            using var inner = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item<double>();
            last = loss.item<double>();
        }
        Assert.True(last < 1e-5 && last < first * 1e-3, $"loss went from {first} to {last}");
        TensorAssert.Close(wStar, model.weight.data<float>(), 1e-2, 0);
        TensorAssert.Close([bStar], model.bias!.data<float>(), 1e-2, 0);
    }

    [Fact]
    public void ClipGradNormMatchesHandComputation()
    {
        using var scope = NewDisposeScope();
        var g1 = Rng.Doubles(30, 12, -2, 2).Select(v => (double)(float)v).ToArray();
        var g2 = Rng.Doubles(31, 5, -2, 2).Select(v => (double)(float)v).ToArray();
        var total = Math.Sqrt(g1.Concat(g2).Sum(v => v * v));
        var a = new nn.Parameter(zeros(3, 4));
        var b = new nn.Parameter(zeros(5));
        var noGrad = new nn.Parameter(zeros(2));
        a.grad = tensor(g1, [3, 4]).to(float32);
        b.grad = tensor(g2).to(float32);

        var maxNorm = total / 3;
        var returned = nn.utils.clip_grad_norm_([a, b, noGrad], maxNorm);
        Assert.Equal(total, returned, 5);
        var factor = maxNorm / (total + 1e-6);
        TensorAssert.Close(g1.Select(v => v * factor).ToArray(), [3, 4], a.grad!, 1e-6, 1e-6);
        TensorAssert.Close(g2.Select(v => v * factor).ToArray(), [5], b.grad!, 1e-6, 1e-6);
        Assert.Null(noGrad.grad);
        var after = Math.Sqrt(a.grad!.data<float>().Concat(b.grad!.data<float>()).Sum(v => (double)v * v));
        Assert.Equal(maxNorm, after, 5);

        // Under the threshold: gradients unchanged.
        var before = a.grad!.data<float>();
        var norm2 = nn.utils.clip_grad_norm_([a, b], 1e6);
        Assert.Equal(maxNorm, norm2, 4);
        Assert.Equal(before, a.grad!.data<float>());
        Assert.Equal(0, nn.utils.clip_grad_norm_([noGrad], 1));
    }

    private static void TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        opt.zero_grad();
        var loss = nn.functional.mse_loss(model.forward(x), y);
        loss.backward();
        opt.step();
    }

    private static nn.Linear FixedLinear(int seed)
    {
        var lin = new nn.Linear(4, 2);
        using var scope = NewDisposeScope();
        lin.load_state_dict(new Dictionary<string, Tensor>
        {
            ["weight"] = tensor(Rng.Floats(seed, 8), [2, 4]),
            ["bias"] = tensor(Rng.Floats(seed + 1, 2)),
        });
        return lin;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OptimizerStateDictResumesBitIdentically(bool adamW)
    {
        using var scope = NewDisposeScope();
        var x = tensor(Rng.Floats(40, 16 * 4), [16, 4]);
        var y = tensor(Rng.Floats(41, 16 * 2), [16, 2]);
        optim.Optimizer Make(nn.Module m) => adamW ? new optim.AdamW(m.parameters(), 0.05) : new optim.Adam(m.parameters(), 0.05, weight_decay: 0.1);
        var schedule = optim.lr_scheduler.WarmupCosine(2, 10);

        // Two uninterrupted steps.
        using var a = FixedLinear(1);
        using var optA = Make(a);
        var lrA = new optim.lr_scheduler.LambdaLR(optA, schedule);
        TrainStep(a, optA, x, y); lrA.step();
        TrainStep(a, optA, x, y); lrA.step();

        // One step, checkpoint, restore into fresh objects, one more step.
        using var b = FixedLinear(1);
        using var optB = Make(b);
        var lrB = new optim.lr_scheduler.LambdaLR(optB, schedule);
        TrainStep(b, optB, x, y); lrB.step();
        var modelState = b.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var optState = optB.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        Assert.Equal(1L, optState["step"].item<long>());
        Assert.Contains("0.exp_avg", optState.Keys);
        Assert.Contains("1.exp_avg_sq", optState.Keys);
        Assert.Equal(1L, optState["1.step"].item<long>());

        using var c = FixedLinear(7);
        using var optC = Make(c);
        c.load_state_dict(modelState);
        optC.load_state_dict(optState);
        var lrC = new optim.lr_scheduler.LambdaLR(optC, schedule);
        lrC.set_step(lrB.LastStep);
        Assert.Equal(optB.LearningRate, optC.LearningRate);
        TrainStep(c, optC, x, y); lrC.step();

        Assert.Equal(2, optC.StepCount);
        Assert.Equal(a.weight.data<float>(), c.weight.data<float>());  // bit-identical
        Assert.Equal(a.bias!.data<float>(), c.bias!.data<float>());
        var sa = optA.state_dict();
        var sc = optC.state_dict();
        Assert.Equal(sa.Keys.Order(), sc.Keys.Order());
        foreach (var key in sa.Keys)
            Assert.True(sa[key].equal(sc[key]), $"optimizer state '{key}' differs");
    }

    [Fact]
    public void OptimizerLoadStateDictRejectsBadState()
    {
        using var scope = NewDisposeScope();
        var p = new nn.Parameter(ones(2, 2));
        using var opt = new optim.Adam([p]);
        Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor>()));
        var ex = Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["step"] = tensor(1L), ["0.exp_avg"] = ones(3) }));
        Assert.Contains("0.exp_avg", ex.Message);
        Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["step"] = tensor(1L), ["5.exp_avg"] = ones(2, 2) }));
        Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["step"] = tensor(1L), ["0.momentum"] = ones(2, 2) }));
        Assert.Throws<ArgumentException>(() => opt.load_state_dict(new Dictionary<string, Tensor> { ["step"] = tensor(1L), ["0.step"] = tensor(new long[] { 1, 2 }) }));
        // A state without per-parameter counts: parameters with moments are taken to have made every step.
        opt.load_state_dict(new Dictionary<string, Tensor> { ["step"] = tensor(3L), ["0.exp_avg"] = zeros(2, 2), ["0.exp_avg_sq"] = zeros(2, 2) });
        Assert.Equal(3, opt.StepCount);
        Assert.Equal(3L, opt.state_dict()["0.step"].item<long>());
    }
}
