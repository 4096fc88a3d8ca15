using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    /// <summary>Neural-network building blocks (PyTorch's <c>torch.nn</c>).</summary>
    public static partial class nn
    {
        /// <summary>How a loss reduces over elements (libtorch's codes).</summary>
        public enum Reduction
        {
            /// <summary>No reduction: one loss per element.</summary>
            None = 0,
            /// <summary>Mean over elements (over non-ignored targets for cross-entropy).</summary>
            Mean = 1,
            /// <summary>Sum over elements.</summary>
            Sum = 2,
        }

        /// <summary>Stateless functions (PyTorch's <c>torch.nn.functional</c>).</summary>
        public static class functional
        {
            /// <summary>y = x·Wᵀ + b.</summary>
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
            {
                var c = new OpCall(Aten.linear);
                c.Tensor(input); c.Tensor(weight); c.OptionalTensor(bias);
                return c.ToTensor();
            }

            /// <summary>Layer normalisation over the trailing <paramref name="normalized_shape"/> dimensions.</summary>
            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                var c = new OpCall(Aten.layer_norm);
                c.Tensor(input); c.IntList(normalized_shape); c.OptionalTensor(weight); c.OptionalTensor(bias); c.Double(eps);
                return c.ToTensor();
            }

            /// <summary>
            /// RMS normalisation over the last dimension: w ⊙ x / √(mean(x²) + eps), statistics of half-precision inputs
            /// in float32 and the result cast back to the input dtype before the weight multiply (Llama/Qwen2
            /// convention); float32 and float64 inputs are computed in their own precision.
            /// </summary>
            public static Tensor rms_norm(Tensor input, Tensor? weight, double eps = 1e-6)
            {
                using var scope = NewDisposeScope();
                var dtype = input.dtype;
                var upcast = dtype is ScalarType.Float16 or ScalarType.BFloat16;
                var x = upcast ? input.to(ScalarType.Float32) : input;
                var normalized = x * x.square().mean(-1, keepdim: true).add(eps).rsqrt();
                if (upcast) normalized = normalized.to(dtype);
                var output = weight is null ? normalized : weight * normalized;
                return output.MoveToOuterDisposeScope();
            }

            /// <summary>Rows of <paramref name="weight"/> picked by integer ids.</summary>
            public static Tensor embedding(Tensor input, Tensor weight, long padding_idx = -1)
            {
                var c = new OpCall(Aten.embedding);
                c.Tensor(weight); c.Tensor(input); c.Int(padding_idx);
                return c.ToTensor();
            }

            /// <summary>
            /// Weighted sum of table rows per bag (mode "sum"): for [N, k] <paramref name="indices"/> and optional [N, k]
            /// <paramref name="per_sample_weights"/>, row n is Σⱼ w[n,j]·weight[indices[n,j]]. The gradient touches only
            /// the selected rows.
            /// </summary>
            public static Tensor embedding_bag(Tensor indices, Tensor weight, Tensor? per_sample_weights = null)
            {
                using var scope = NewDisposeScope();
                var shape = indices.shape;
                if (shape.Length != 2) throw new ArgumentException($"embedding_bag expects [N, k] indices, got [{string.Join(", ", shape)}]");
                var flat = indices.reshape(-1);
                var offsets = arange(0, shape[0] * shape[1], shape[1], ScalarType.Int64, indices.device);
                var c = new OpCall(Aten.embedding_bag);
                c.Tensor(weight); c.Tensor(flat); c.Tensor(offsets); c.Bool(false); c.Int(0); c.Bool(false);
                c.OptionalTensor(per_sample_weights?.reshape(-1)); c.Bool(false);
                var results = c.ToTensorArray();
                for (var i = 1; i < results.Length; i++) results[i].Dispose();
                return results[0].MoveToOuterDisposeScope();
            }

            /// <summary>Cross-entropy of logits [N, C] (or [N, C, d…]) against class ids, skipping <paramref name="ignore_index"/>.</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                Reduction reduction = Reduction.Mean, double label_smoothing = 0)
            {
                var c = new OpCall(Aten.cross_entropy_loss);
                c.Tensor(input); c.Tensor(target); c.OptionalTensor(weight); c.Int((long)reduction); c.Int(ignore_index); c.Double(label_smoothing);
                return c.ToTensor();
            }

            /// <summary>Negative log-likelihood of log-probabilities against class ids.</summary>
            public static Tensor nll_loss(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                Reduction reduction = Reduction.Mean)
            {
                var c = new OpCall(Aten.nll_loss);
                c.Tensor(input); c.Tensor(target); c.OptionalTensor(weight); c.Int((long)reduction); c.Int(ignore_index);
                return c.ToTensor();
            }

            /// <summary>Mean squared error.</summary>
            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
            {
                var c = new OpCall(Aten.mse_loss);
                c.Tensor(input); c.Tensor(target); c.Int((long)reduction);
                return c.ToTensor();
            }

            /// <summary>Binary cross-entropy on logits.</summary>
            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
            {
                var c = new OpCall(Aten.binary_cross_entropy_with_logits);
                c.Tensor(input); c.Tensor(target); c.None(); c.None(); c.Int((long)reduction);
                return c.ToTensor();
            }

            /// <summary>GELU ("none" = exact erf form, "tanh" = tanh approximation).</summary>
            public static Tensor gelu(Tensor input, string approximate = "none") => input.gelu(approximate);
            /// <summary>SiLU / swish.</summary>
            public static Tensor silu(Tensor input) => input.silu();
            /// <summary>ReLU.</summary>
            public static Tensor relu(Tensor input) => input.relu();
            /// <summary>Softmax along a dimension.</summary>
            public static Tensor softmax(Tensor input, long dim, ScalarType? dtype = null) => input.softmax(dim, dtype);
            /// <summary>Log-softmax along a dimension.</summary>
            public static Tensor log_softmax(Tensor input, long dim, ScalarType? dtype = null) => input.log_softmax(dim, dtype);

            /// <summary>Dropout with probability p when training.</summary>
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true)
            {
                if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
                var c = new OpCall(Aten.dropout);
                c.Tensor(input); c.Double(p); c.Bool(training);
                return c.ToTensor();
            }

            /// <summary>
            /// softmax(q kᵀ·scale + mask) v over the last two dimensions, computed as torch 2.5's math backend does
            /// (q and k each scaled by √scale before the product). A boolean mask is true where attention is allowed, a
            /// float mask is added. Query rows whose keys are all masked give zeros ("safe softmax", torch ≥ 2.5).
            /// </summary>
            public static Tensor scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask = null, double? scale = null)
            {
                using var scope = NewDisposeScope();
                var rootScale = Math.Sqrt(scale ?? 1.0 / Math.Sqrt(query.size(-1)));
                var scores = (query * rootScale).matmul((key * rootScale).transpose(-2, -1));
                Tensor? anyAllowed = null;
                if (attn_mask is not null)
                {
                    if (attn_mask.dtype == ScalarType.Bool)
                    {
                        scores = scores.masked_fill(attn_mask.logical_not(), double.NegativeInfinity);
                        anyAllowed = attn_mask.any(-1, keepdim: true);
                    }
                    else
                    {
                        scores = scores.add_(attn_mask);
                    }
                }
                var weights = scores.softmax(-1);
                if (anyAllowed is not null) weights = weights.masked_fill(anyAllowed.logical_not(), 0.0);
                return weights.matmul(value).MoveToOuterDisposeScope();
            }
        }
    }
}
