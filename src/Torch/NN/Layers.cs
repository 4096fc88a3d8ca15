namespace DiffusionSteering.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>y = x·Wᵀ + b with W [out, in]; PyTorch's initialisation U(−1/√in, 1/√in).</summary>
        public sealed class Linear : Module<Tensor, Tensor>
        {
            /// <summary>The weight [out_features, in_features].</summary>
            public Parameter weight { get; }
            /// <summary>The bias [out_features], or null.</summary>
            public Parameter? bias { get; }

            /// <summary>Creates the layer.</summary>
            public Linear(long in_features, long out_features, bool hasBias = true, Device? device = null, ScalarType? dtype = null) : base(nameof(Linear))
            {
                if (in_features <= 0 || out_features <= 0)
                    throw new ArgumentOutOfRangeException(nameof(in_features), $"Linear({in_features}, {out_features}): sizes must be positive");
                var bound = 1.0 / Math.Sqrt(in_features);
                using (no_grad())
                {
                    weight = new Parameter(empty([out_features, in_features], dtype, device).uniform_(-bound, bound));
                    register_parameter(nameof(weight), weight);
                    if (hasBias)
                    {
                        bias = new Parameter(empty([out_features], dtype, device).uniform_(-bound, bound));
                        register_parameter(nameof(bias), bias);
                    }
                }
            }

            /// <inheritdoc />
            public override Tensor forward(Tensor input) => functional.linear(input, weight, bias);
        }

        /// <summary>A lookup table of vectors; initialised N(0, 1) as in PyTorch.</summary>
        public sealed class Embedding : Module<Tensor, Tensor>
        {
            /// <summary>The table [num_embeddings, embedding_dim].</summary>
            public Parameter weight { get; }

            /// <summary>Creates the table.</summary>
            public Embedding(long num_embeddings, long embedding_dim, Device? device = null, ScalarType? dtype = null) : base(nameof(Embedding))
            {
                if (num_embeddings <= 0 || embedding_dim <= 0)
                    throw new ArgumentOutOfRangeException(nameof(num_embeddings), $"Embedding({num_embeddings}, {embedding_dim}): sizes must be positive");
                using (no_grad()) weight = new Parameter(randn([num_embeddings, embedding_dim], dtype, device));
                register_parameter(nameof(weight), weight);
            }

            /// <inheritdoc />
            public override Tensor forward(Tensor input) => functional.embedding(input, weight);
        }

        /// <summary>Layer normalisation over the last dimension(s), with optional affine weight and bias.</summary>
        public sealed class LayerNorm : Module<Tensor, Tensor>
        {
            private readonly long[] _shape;

            /// <summary>Scale, or null.</summary>
            public Parameter? weight { get; }
            /// <summary>Shift, or null.</summary>
            public Parameter? bias { get; }
            /// <summary>Variance epsilon.</summary>
            public double eps { get; }

            /// <summary>Creates the layer.</summary>
            public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool hasBias = true,
                Device? device = null, ScalarType? dtype = null) : base(nameof(LayerNorm))
            {
                _shape = normalized_shape;
                this.eps = eps;
                if (!elementwise_affine) return;
                weight = new Parameter(ones(normalized_shape, dtype, device));
                register_parameter(nameof(weight), weight);
                if (!hasBias) return;
                bias = new Parameter(zeros(normalized_shape, dtype, device));
                register_parameter(nameof(bias), bias);
            }

            /// <summary>Creates the layer over one trailing dimension.</summary>
            public LayerNorm(long normalized_shape, double eps = 1e-5) : this([normalized_shape], eps) { }

            /// <inheritdoc />
            public override Tensor forward(Tensor input) => functional.layer_norm(input, _shape, weight, bias, eps);
        }

        /// <summary>RMS normalisation over the last dimension with a learned scale (Llama/Qwen2/LLaDA).</summary>
        public sealed class RMSNorm : Module<Tensor, Tensor>
        {
            /// <summary>Scale [dim].</summary>
            public Parameter weight { get; }
            /// <summary>Epsilon inside the square root.</summary>
            public double eps { get; }

            /// <summary>Creates the layer.</summary>
            public RMSNorm(long dim, double eps = 1e-6, Device? device = null, ScalarType? dtype = null) : base(nameof(RMSNorm))
            {
                this.eps = eps;
                weight = new Parameter(ones([dim], dtype, device));
                register_parameter(nameof(weight), weight);
            }

            /// <inheritdoc />
            public override Tensor forward(Tensor input) => functional.rms_norm(input, weight, eps);
        }
    }
}
