namespace DiffusionSteering.Torch;

public static partial class torch
{
    /// <summary>Optimizers, gradient clipping and learning-rate schedules (PyTorch's <c>torch.optim</c>).</summary>
    public static partial class optim
    {
        /// <summary>Base of optimizers over a fixed list of parameters with one learning rate.</summary>
        public abstract class Optimizer : IDisposable
        {
            /// <summary>The parameters updated by <see cref="step"/>.</summary>
            protected IReadOnlyList<nn.Parameter> Parameters { get; }

            /// <summary>Creates the optimizer.</summary>
            protected Optimizer(IEnumerable<nn.Parameter> parameters, double lr)
            {
                Parameters = parameters.ToList();
                if (Parameters.Count == 0) throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
                if (!(lr >= 0)) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be non-negative");
                LearningRate = lr;
                InitialLearningRate = lr;
            }

            /// <summary>The current learning rate (schedules set it).</summary>
            public double LearningRate { get; set; }

            /// <summary>The learning rate given at construction.</summary>
            public double InitialLearningRate { get; }

            /// <summary>Number of <see cref="step"/> calls so far.</summary>
            public long StepCount { get; protected set; }

            /// <summary>Clears the gradients (sets them to none).</summary>
            public void zero_grad()
            {
                foreach (var p in Parameters) p.grad = null;
            }

            /// <summary>Applies one update from the current gradients.</summary>
            public abstract void step();

            /// <summary>Optimizer state by name (detached aliases) plus the step count, for checkpoints.</summary>
            public abstract Dictionary<string, Tensor> state_dict();

            /// <summary>Restores state written by <see cref="state_dict"/> (shapes must match).</summary>
            public abstract void load_state_dict(IReadOnlyDictionary<string, Tensor> state);

            /// <summary>Frees optimizer state.</summary>
            public virtual void Dispose() => GC.SuppressFinalize(this);
        }

        /// <summary>
        /// Adam (Kingma &amp; Ba 2015, Algorithm 1) with optional decoupled weight decay (AdamW, Loshchilov &amp; Hutter
        /// 2019, Algorithm 2) or L2 weight decay added to the gradient (classic Adam), as PyTorch implements them.
        /// </summary>
        public class Adam : Optimizer
        {
            private readonly Tensor?[] _expAvg;
            private readonly Tensor?[] _expAvgSq;
            private readonly long[] _steps;      // per parameter: steps it took part in (had a gradient), as PyTorch
            private readonly bool _decoupled;

            /// <summary>Creates Adam (L2 weight decay folded into the gradient).</summary>
            public Adam(IEnumerable<nn.Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0) : this(parameters, lr, beta1, beta2, eps, weight_decay, decoupled: false) { }

            /// <summary>Creates the optimizer; <paramref name="decoupled"/> selects AdamW's decay.</summary>
            protected Adam(IEnumerable<nn.Parameter> parameters, double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled)
                : base(parameters, lr)
            {
                if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
                if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
                if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be non-negative");
                if (!(weight_decay >= 0)) throw new ArgumentOutOfRangeException(nameof(weight_decay), weight_decay, "weight decay must be non-negative");
                Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weight_decay; _decoupled = decoupled;
                _expAvg = new Tensor?[Parameters.Count];
                _expAvgSq = new Tensor?[Parameters.Count];
                _steps = new long[Parameters.Count];
            }

            /// <summary>First-moment decay.</summary>
            public double Beta1 { get; }
            /// <summary>Second-moment decay.</summary>
            public double Beta2 { get; }
            /// <summary>Denominator epsilon.</summary>
            public double Eps { get; }
            /// <summary>Weight decay coefficient.</summary>
            public double WeightDecay { get; set; }

            /// <inheritdoc />
            public override void step()
            {
                StepCount++;
                using var noGrad = no_grad();
                for (var i = 0; i < Parameters.Count; i++)
                {
                    var p = Parameters[i];
                    using var scope = NewDisposeScope();
                    var g = p.grad;
                    if (g is null) continue;
                    // Bias corrections use this parameter's own step count (a parameter without a gradient on some
                    // steps has taken fewer), as PyTorch does.
                    var t = ++_steps[i];
                    var bias1 = 1 - Math.Pow(Beta1, t);
                    var bias2 = 1 - Math.Pow(Beta2, t);
                    if (WeightDecay != 0)
                    {
                        if (_decoupled) p.mul_(1 - LearningRate * WeightDecay);
                        else g = g.add(p, WeightDecay);
                    }
                    var m = _expAvg[i] ??= zeros_like(p).DetachFromDisposeScope();
                    var v = _expAvgSq[i] ??= zeros_like(p).DetachFromDisposeScope();
                    m.lerp_(g, 1 - Beta1);                       // m ← β1 m + (1 − β1) g
                    v.mul_(Beta2).addcmul_(g, g, 1 - Beta2);     // v ← β2 v + (1 − β2) g²
                    var denom = v.sqrt().div_(Math.Sqrt(bias2)).add_(Eps);
                    p.addcdiv_(m, denom, -LearningRate / bias1); // θ ← θ − lr · m̂ / (√v̂ + ε)
                }
            }

            /// <inheritdoc />
            public override Dictionary<string, Tensor> state_dict()
            {
                var state = new Dictionary<string, Tensor> { ["step"] = tensor(StepCount) };
                for (var i = 0; i < Parameters.Count; i++)
                {
                    if (_expAvg[i] is { } m) state[$"{i}.exp_avg"] = m.detach();
                    if (_expAvgSq[i] is { } v) state[$"{i}.exp_avg_sq"] = v.detach();
                    if (_steps[i] > 0) state[$"{i}.step"] = tensor(_steps[i]);
                }
                return state;
            }

            /// <inheritdoc />
            public override void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                if (!state.TryGetValue("step", out var step)) throw new ArgumentException("optimizer state has no 'step' entry");
                foreach (var key in state.Keys)
                {
                    if (key == "step") continue;
                    var dot = key.IndexOf('.');
                    if (dot < 0 || !int.TryParse(key[..dot], out var index) || index < 0 || index >= Parameters.Count
                        || key[(dot + 1)..] is not ("exp_avg" or "exp_avg_sq" or "step"))
                        throw new ArgumentException($"unexpected optimizer state entry '{key}'");
                    if (key.EndsWith(".step", StringComparison.Ordinal))
                    {
                        if (state[key].numel() != 1) throw new ArgumentException($"optimizer state '{key}' must hold one number");
                        continue;
                    }
                    if (!state[key].shape.SequenceEqual(Parameters[index].shape))
                        throw new ArgumentException($"optimizer state '{key}' has shape {Tensor.ShapeString(state[key].shape)}, parameter {index} has {Tensor.ShapeString(Parameters[index].shape)}");
                }
                using var noGrad = no_grad();
                StepCount = step.item<long>();
                for (var i = 0; i < Parameters.Count; i++)
                {
                    _expAvg[i]?.Dispose(); _expAvg[i] = null;
                    _expAvgSq[i]?.Dispose(); _expAvgSq[i] = null;
                    // A state written before per-parameter counts existed: parameters with moments took every step.
                    _steps[i] = state.TryGetValue($"{i}.step", out var ps) ? ps.item<long>()
                        : state.ContainsKey($"{i}.exp_avg") ? StepCount : 0;
                    if (state.TryGetValue($"{i}.exp_avg", out var m))
                    {
                        using var moved = m.to(Parameters[i]);
                        _expAvg[i] = moved.clone().DetachFromDisposeScope();
                    }
                    if (state.TryGetValue($"{i}.exp_avg_sq", out var v))
                    {
                        using var moved = v.to(Parameters[i]);
                        _expAvgSq[i] = moved.clone().DetachFromDisposeScope();
                    }
                }
            }

            /// <inheritdoc />
            public override void Dispose()
            {
                foreach (var t in _expAvg) t?.Dispose();
                foreach (var t in _expAvgSq) t?.Dispose();
                base.Dispose();
            }
        }

        /// <summary>AdamW: Adam with decoupled weight decay θ ← θ(1 − lr·λ) (Loshchilov &amp; Hutter 2019, Algorithm 2).</summary>
        public sealed class AdamW : Adam
        {
            /// <summary>Creates AdamW (PyTorch's defaults: weight decay 0.01).</summary>
            public AdamW(IEnumerable<nn.Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 0.01) : base(parameters, lr, beta1, beta2, eps, weight_decay, decoupled: true) { }
        }

        /// <summary>Plain stochastic gradient descent θ ← θ − lr·g.</summary>
        public sealed class SGD : Optimizer
        {
            /// <summary>Creates SGD.</summary>
            public SGD(IEnumerable<nn.Parameter> parameters, double lr) : base(parameters, lr) { }

            /// <inheritdoc />
            public override void step()
            {
                StepCount++;
                using var noGrad = no_grad();
                foreach (var p in Parameters)
                {
                    using var g = p.grad;
                    if (g is not null) p.add_(g, -LearningRate);
                }
            }

            /// <inheritdoc />
            public override Dictionary<string, Tensor> state_dict() => new() { ["step"] = tensor(StepCount) };

            /// <inheritdoc />
            public override void load_state_dict(IReadOnlyDictionary<string, Tensor> state)
            {
                if (!state.TryGetValue("step", out var step)) throw new ArgumentException("optimizer state has no 'step' entry");
                StepCount = step.item<long>();
            }
        }
    }

    public static partial class nn
    {
        /// <summary>Gradient utilities (PyTorch's <c>torch.nn.utils</c>).</summary>
        public static class utils
        {
            /// <summary>
            /// Scales all gradients so their joint L2 norm is at most <paramref name="max_norm"/>; returns the norm before
            /// clipping (PyTorch's <c>clip_grad_norm_</c>, factor max_norm / (norm + 1e-6) when above).
            /// </summary>
            public static double clip_grad_norm_(IEnumerable<Parameter> parameters, double max_norm)
            {
                if (!(max_norm > 0)) throw new ArgumentOutOfRangeException(nameof(max_norm), max_norm, "max_norm must be positive");
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
                if (grads.Count == 0) return 0;
                var norms = stack(grads.Select(g => g.norm(2.0, null, false).to(ScalarType.Float32)).ToList());
                var total = norms.norm().item<float>();
                var factor = max_norm / (total + 1e-6);
                if (factor < 1)
                    foreach (var g in grads) g.mul_(factor);
                return total;
            }
        }
    }
}
