using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Architectures;

/// <summary>
/// The SAE of every supported architecture: one set of weights (W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in],
/// b_dec, and a <c>threshold</c> buffer for JumpReLU / thresholded TopK) and the sparsity rule of
/// <see cref="SaeConfig.Architecture"/>.
/// </summary>
public sealed class SparseAutoencoder : nn.Module, ISparseAutoencoder
{
    private int _activeK;

    /// <summary>Creates an SAE initialised as Gao et al. 2024 §A.1: random unit decoder rows, W_enc = W_decᵀ, zero biases.</summary>
    public SparseAutoencoder(SaeConfig config, Device? device = null, ScalarType? dtype = null, Generator? generator = null) : base(nameof(SparseAutoencoder))
    {
        config.Validate();
        Config = config;
        _activeK = config.K;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var direction = randn([config.DSae, config.DIn], dtype, device, generator);
        direction = direction / direction.norm(1, keepdim: true);
        W_dec = new nn.Parameter(direction.contiguous().DetachFromDisposeScope());
        W_enc = new nn.Parameter(W_dec.t().contiguous().DetachFromDisposeScope());
        b_enc = new nn.Parameter(zeros([config.DSae], dtype, device).DetachFromDisposeScope());
        b_dec = new nn.Parameter(zeros([config.DIn], dtype, device).DetachFromDisposeScope());
        register_parameter(nameof(W_enc), W_enc);
        register_parameter(nameof(b_enc), b_enc);
        register_parameter(nameof(W_dec), W_dec);
        register_parameter(nameof(b_dec), b_dec);
        var thresholdShape = config.Architecture == SaeArchitecture.JumpReLU ? new long[] { config.DSae } : [];
        threshold = full(thresholdShape, config.Architecture == SaeArchitecture.JumpReLU ? 0.0 : -1.0, dtype, device).DetachFromDisposeScope();
        register_buffer(nameof(threshold), threshold);
    }

#pragma warning disable IDE1006 // SAELens names
    /// <summary>Encoder [d_in, d_sae].</summary>
    public nn.Parameter W_enc { get; }
    /// <summary>Encoder bias [d_sae].</summary>
    public nn.Parameter b_enc { get; }
    /// <summary>Decoder [d_sae, d_in]; row i is feature i's direction.</summary>
    public nn.Parameter W_dec { get; }
    /// <summary>Decoder bias [d_in] (also subtracted from the input when <see cref="SaeConfig.ApplyBDecToInput"/>).</summary>
    public nn.Parameter b_dec { get; }
    /// <summary>JumpReLU thresholds [d_sae], or the scalar inference threshold of TopK/BatchTopK (−1: unset).</summary>
    public Tensor threshold { get; }
#pragma warning restore IDE1006

    /// <summary>The configuration.</summary>
    public SaeConfig Config { get; }

    /// <inheritdoc />
    public int DIn => Config.DIn;
    /// <inheritdoc />
    public int DSae => Config.DSae;
    /// <inheritdoc />
    public SaeArchitecture Architecture => Config.Architecture;
    /// <inheritdoc />
    public SaeMetadata Metadata => Config.Metadata;
    /// <inheritdoc />
    public ScalarType DType => W_dec.dtype;
    /// <inheritdoc />
    public Device Device => W_dec.device;

    /// <summary>
    /// The k used by <see cref="Encode"/> for TopK and MultiTopK (default <see cref="SaeConfig.K"/>; a MultiTopK SAE
    /// may be read at any k ≤ K).
    /// </summary>
    public int ActiveK
    {
        get => _activeK;
        set
        {
            if (value < 1 || value > Config.K) throw new ArgumentOutOfRangeException(nameof(value), value, $"k must be in [1, {Config.K}]");
            _activeK = value;
        }
    }

    /// <summary>True when a TopK/BatchTopK SAE carries a usable inference threshold (≥ 0).</summary>
    public bool HasScalarThreshold => Architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK && threshold.item<float>() >= 0;

    private void CheckInput(Tensor x)
    {
        var shape = x.shape;
        if (shape.Length == 0 || shape[^1] != DIn)
            throw new ArgumentException($"SAE input must have last dimension d_in = {DIn}, got [{string.Join(", ", shape)}]");
    }

    /// <inheritdoc />
    public Tensor PreActivations(Tensor x)
    {
        CheckInput(x);
        using var scope = NewDisposeScope();
        var input = x.dtype == DType ? x : x.to(DType);
        if (Config.ApplyBDecToInput) input = input - b_dec;
        // h = (x − b_dec) W_enc + b_enc (Gao et al. 2024, Eq. 3 before the TopK).
        return input.matmul(W_enc).add_(b_enc).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor DenseEncode(Tensor x)
    {
        using var scope = NewDisposeScope();
        return PreActivations(x).relu().MoveToOuterDisposeScope();
    }

    /// <summary>‖W_dec,i‖ per latent [d_sae].</summary>
    public Tensor DecoderNorms() => W_dec.norm(1);

    /// <inheritdoc />
    public Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = PreActivations(x);
        Tensor z = Architecture switch
        {
            SaeArchitecture.Standard => h.relu(),
            // JumpReLU (Rajamanoharan et al. 2024, Eq. 3): z = ReLU(h) · 1[h > θ].
            SaeArchitecture.JumpReLU => h.relu() * h.gt(threshold).to(h.dtype),
            SaeArchitecture.BatchTopK when HasScalarThreshold => ThresholdEncode(h),
            SaeArchitecture.BatchTopK => BatchTopK(h, Config.K),
            _ => ScatterTopK(h, ActiveK),
        };
        return z.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The global-threshold encoding of a TopK/BatchTopK SAE (dictionary_learning <c>use_threshold=True</c>):
    /// z = ReLU(h) · 1[ReLU(h) &gt; θ].
    /// </summary>
    public Tensor EncodeWithThreshold(Tensor x)
    {
        if (!HasScalarThreshold) throw new InvalidOperationException("this SAE has no scalar inference threshold (threshold < 0)");
        using var scope = NewDisposeScope();
        return ThresholdEncode(PreActivations(x)).MoveToOuterDisposeScope();
    }

    private Tensor ThresholdEncode(Tensor h)
    {
        var post = h.relu();
        return post * post.gt(threshold).to(post.dtype);
    }

    private Tensor ScatterTopK(Tensor h, int k)
    {
        // TopK (Gao et al. 2024, Eq. 3): z = scatter(TopK_k(ReLU(h))) — ReLU first (dictionary_learning, sparsify);
        // identical to SAELens' TopK-then-ReLU whenever ≥ k pre-activations are positive.
        var (values, indices) = SelectTopK(h, k);
        return zeros_like(h).scatter(-1, indices, values);
    }

    private (Tensor values, Tensor indices) SelectTopK(Tensor h, int k)
    {
        var post = h.relu();
        if (!Config.RescaleActsByDecoderNorm) return post.topk(k);
        // SAELens rescale_acts_by_decoder_norm: select on h·‖W_dec,i‖; the value kept is the scaled one.
        var scaled = post * DecoderNorms();
        return scaled.topk(k);
    }

    /// <summary>BatchTopK (Bussmann et al. 2024): keep the k·N largest of ReLU(h) over the whole batch of N tokens.</summary>
    public static Tensor BatchTopK(Tensor h, int k)
    {
        using var scope = NewDisposeScope();
        var post = h.relu();
        var flat = post.reshape(-1);
        var tokens = flat.numel() / h.size(-1);
        var keep = Math.Min(flat.numel(), k * tokens);
        var (values, indices) = flat.topk(keep, sorted: false);
        return zeros_like(flat).scatter(0, indices, values).view(h.shape).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public SparseCode EncodeSparse(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (Architecture is SaeArchitecture.TopK or SaeArchitecture.MultiTopK)
        {
            var (values, indices) = SelectTopK(PreActivations(x), ActiveK);
            return new SparseCode(values.MoveToOuterDisposeScope(), indices.MoveToOuterDisposeScope());
        }
        // Other rules have a variable support: report it as the top-(max support) entries, zero-padded.
        var dense = Encode(x);
        var width = Math.Max(1, dense.gt(0).sum(-1).max().item<long>());
        var (v, i) = dense.topk(width);
        return new SparseCode(v.MoveToOuterDisposeScope(), i.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public Tensor Decode(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var z = Config.RescaleActsByDecoderNorm ? latents / DecoderNorms() : latents;
        return z.matmul(W_dec).add_(b_dec).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Decode(SparseCode code)
    {
        using var scope = NewDisposeScope();
        var shape = code.Indices.shape;
        var k = shape[^1];
        var indices = code.Indices.reshape(-1, k);
        var values = code.Values.reshape(-1, k).to(DType);
        if (Config.RescaleActsByDecoderNorm) values = values / DecoderNorms().index_select(0, indices.reshape(-1)).view(indices.shape);
        // x̂ = Σ_j z_j W_dec[i_j] + b_dec, touching only the k active rows (sparsify's embedding-bag decoder).
        var decoded = nn.functional.embedding_bag(indices, W_dec, values).add_(b_dec);
        return decoded.view([.. shape[..^1], DIn]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public (Tensor reconstruction, Tensor latents) Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var z = Encode(x);
        var reconstruction = Decode(z);
        return (reconstruction.MoveToOuterDisposeScope(), z.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public Tensor DecoderDirection(long feature)
    {
        if (feature < 0 || feature >= DSae) throw new ArgumentOutOfRangeException(nameof(feature), feature, $"feature must be in [0, {DSae})");
        using var noGrad = no_grad();
        return W_dec.select(0, feature).detach().clone();
    }

    /// <inheritdoc />
    public void MoveTo(Device device, ScalarType? dtype = null) => to(device, dtype);

    /// <summary>Scales every decoder row to unit norm (in place, no gradient).</summary>
    public void NormalizeDecoderRows()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        W_dec.div_(W_dec.norm(1, keepdim: true).clamp_min(1e-12));
    }
}
