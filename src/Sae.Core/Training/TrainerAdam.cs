using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Training;

/// <summary>
/// Adam (Kingma &amp; Ba 2015, Algorithm 1) with exactly the arithmetic of <see cref="optim.Adam"/> (so results are
/// bit-identical), but with a persistent scratch tensor per parameter for the denominator √v̂ + ε: SAE parameters are
/// tens of MB each, and a fresh allocation of that size per step costs page faults on every step. State entries use
/// <see cref="optim.Adam"/>'s names (<c>step</c>, <c>{i}.exp_avg</c>, <c>{i}.exp_avg_sq</c>).
/// </summary>
internal sealed class TrainerAdam : IDisposable
{
    private readonly IReadOnlyList<nn.Parameter> _parameters;
    private readonly Tensor?[] _expAvg, _expAvgSq, _scratch;

    public TrainerAdam(IReadOnlyList<nn.Parameter> parameters, double lr, double beta1, double beta2, double eps)
    {
        _parameters = parameters;
        LearningRate = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        _expAvg = new Tensor?[parameters.Count];
        _expAvgSq = new Tensor?[parameters.Count];
        _scratch = new Tensor?[parameters.Count];
    }

    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public long StepCount { get; private set; }

    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad = null;
    }

    public void Step()
    {
        StepCount++;
        var bias1 = 1 - Math.Pow(Beta1, StepCount);
        var bias2 = 1 - Math.Pow(Beta2, StepCount);
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            using var g = p.grad;
            if (g is null) continue;
            var m = _expAvg[i] ??= zeros_like(p).DetachFromDisposeScope();
            var v = _expAvgSq[i] ??= zeros_like(p).DetachFromDisposeScope();
            var denom = _scratch[i] ??= empty_like(p).DetachFromDisposeScope();
            m.lerp_(g, 1 - Beta1);                                       // m ← β1 m + (1 − β1) g
            v.mul_(Beta2).addcmul_(g, g, 1 - Beta2);                     // v ← β2 v + (1 − β2) g²
            denom.copy_(v).sqrt_().div_(Math.Sqrt(bias2)).add_(Eps);     // √v̂ + ε, as optim.Adam computes it
            p.addcdiv_(m, denom, -LearningRate / bias1);                 // θ ← θ − lr · m̂ / (√v̂ + ε)
        }
    }

    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor> { ["step"] = tensor(StepCount).DetachFromDisposeScope() };
        for (var i = 0; i < _parameters.Count; i++)
        {
            if (_expAvg[i] is { } m) state[$"{i}.exp_avg"] = m.clone().DetachFromDisposeScope();
            if (_expAvgSq[i] is { } v) state[$"{i}.exp_avg_sq"] = v.clone().DetachFromDisposeScope();
        }
        return state;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step)) throw new ArgumentException("optimizer state has no 'step' entry");
        foreach (var (key, value) in state)
        {
            if (key == "step") continue;
            var dot = key.IndexOf('.');
            if (dot < 0 || !int.TryParse(key[..dot], out var index) || index < 0 || index >= _parameters.Count || key[(dot + 1)..] is not ("exp_avg" or "exp_avg_sq"))
                throw new ArgumentException($"unexpected optimizer state entry '{key}'");
            if (!value.shape.SequenceEqual(_parameters[index].shape))
                throw new ArgumentException($"optimizer state '{key}' has shape [{string.Join(", ", value.shape)}], parameter {index} has [{string.Join(", ", _parameters[index].shape)}]");
        }
        using var noGrad = no_grad();
        StepCount = step.item<long>();
        for (var i = 0; i < _parameters.Count; i++)
        {
            _expAvg[i]?.Dispose();
            _expAvgSq[i]?.Dispose();
            _expAvg[i] = state.TryGetValue($"{i}.exp_avg", out var m) ? Like(_parameters[i], m) : null;
            _expAvgSq[i] = state.TryGetValue($"{i}.exp_avg_sq", out var v) ? Like(_parameters[i], v) : null;
        }
    }

    /// <summary>A copy of <paramref name="value"/> with the parameter's dtype, device and memory layout.</summary>
    private static Tensor Like(Tensor parameter, Tensor value)
    {
        var target = zeros_like(parameter).DetachFromDisposeScope();
        target.copy_(value);
        return target;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq).Concat(_scratch)) t?.Dispose();
    }
}
