using DiffusionSteering.Diffusion.Models.Checkpoints;

namespace DiffusionSteering.Diffusion.Models.Architectures.Llada;

/// <summary>
/// The values of a LLaDA <c>config.json</c> that the forward pass uses (LLaDA's <c>configuration_llada.py</c> key
/// names), validated. Options the released checkpoints never set (ALiBi, biases, QK layer norm, other block or norm
/// types) are rejected rather than silently ignored.
/// </summary>
public sealed record LladaConfig
{
    /// <summary>Width of the residual stream (<c>d_model</c>).</summary>
    public required int DModel { get; init; }
    /// <summary>Number of blocks (<c>n_layers</c>).</summary>
    public required int NLayers { get; init; }
    /// <summary>Query heads (<c>n_heads</c>).</summary>
    public required int NHeads { get; init; }
    /// <summary>Key/value heads (<c>n_kv_heads</c>; <c>n_heads</c> when null).</summary>
    public required int NKvHeads { get; init; }
    /// <summary>SwiGLU hidden width (<c>mlp_hidden_size</c>, else <c>mlp_ratio·d_model</c>).</summary>
    public required int MlpHiddenSize { get; init; }
    /// <summary>Rows of the embedding and LM head (<c>embedding_size</c>, else <c>vocab_size</c>).</summary>
    public required int EmbeddingSize { get; init; }
    /// <summary>Mask token id (<c>mask_token_id</c>).</summary>
    public required long MaskTokenId { get; init; }
    /// <summary>Longest sequence (<c>max_sequence_length</c>).</summary>
    public required int MaxSequenceLength { get; init; }
    /// <summary>RoPE base θ (<c>rope_theta</c>).</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>RMSNorm epsilon (<c>rms_norm_eps</c>).</summary>
    public double RmsNormEps { get; init; } = 1e-5;
    /// <summary>End-of-text id (<c>eos_token_id</c>).</summary>
    public long? EosTokenId { get; init; }
    /// <summary>Padding id (<c>pad_token_id</c>).</summary>
    public long? PadTokenId { get; init; }
    /// <summary>Beginning-of-text id (from generation_config.json when present).</summary>
    public long? BosTokenId { get; init; }
    /// <summary>Whether the LM head shares the embedding (<c>weight_tying</c>).</summary>
    public bool WeightTying { get; init; }

    /// <summary>Per-head width.</summary>
    public int HeadDim => DModel / NHeads;

    /// <summary>Every key of the released LLaDA configs (anything else is unknown).</summary>
    public static readonly string[] KnownKeys =
    [
        "activation_type", "alibi", "alibi_bias_max", "attention_dropout", "attention_layer_norm",
        "attention_layer_norm_with_affine", "bias_for_layer_norm", "block_group_size", "block_type", "d_model",
        "embedding_dropout", "embedding_size", "flash_attention", "include_bias", "include_qkv_bias", "init_cutoff_factor",
        "init_device", "init_fn", "init_std", "input_emb_norm", "layer_norm_type", "layer_norm_with_affine",
        "mask_token_id", "max_sequence_length", "mlp_hidden_size", "mlp_ratio", "multi_query_attention", "n_heads",
        "n_kv_heads", "n_layers", "precision", "residual_dropout", "rms_norm_eps", "rope", "rope_full_precision",
        "rope_theta", "scale_logits", "vocab_size", "weight_tying", "clip_qkv", "layer_norm_eps",
    ];

    /// <summary>Reads and validates a LLaDA config.</summary>
    public static LladaConfig FromConfig(ModelConfig config, bool allowUnknownKeys = false)
    {
        if (!allowUnknownKeys) config.RejectUnknownKeys(KnownKeys);
        config.RequireValue("alibi", false, "ALiBi is not used by LLaDA checkpoints");
        config.RequireValue("rope", true, "LLaDA uses rotary position embeddings");
        config.RequireValue("include_bias", false, "LLaDA linear layers have no bias");
        config.RequireValue("include_qkv_bias", false, "LLaDA attention projections have no bias");
        config.RequireValue("attention_layer_norm", false, "QK layer norm is not implemented");
        config.RequireValue("input_emb_norm", false, "embedding normalisation is not implemented");
        config.RequireValue("scale_logits", false, "logit scaling is not implemented");
        config.RequireNull("clip_qkv", "QKV clipping is not implemented");
        if (config.GetOptionalString("block_type") is { } block && block != "llama")
            throw new CheckpointException($"{config.Source}: block_type '{block}' is not supported (only 'llama')");
        if (config.GetOptionalString("layer_norm_type") is { } norm && norm != "rms")
            throw new CheckpointException($"{config.Source}: layer_norm_type '{norm}' is not supported (only 'rms')");
        if (config.GetOptionalString("activation_type") is { } act && act != "silu")
            throw new CheckpointException($"{config.Source}: activation_type '{act}' is not supported (only 'silu', SwiGLU)");
        if (config.GetBool("multi_query_attention", false) && config.IsNullOrMissing("n_kv_heads"))
            throw new CheckpointException($"{config.Source}: multi_query_attention without n_kv_heads is not supported");

        var dModel = config.GetPositiveInt("d_model");
        var nHeads = config.GetPositiveInt("n_heads");
        var nKv = config.IsNullOrMissing("n_kv_heads") ? nHeads : config.GetPositiveInt("n_kv_heads");
        if (dModel % nHeads != 0) throw new CheckpointException($"{config.Source}: d_model {dModel} is not divisible by n_heads {nHeads}");
        if ((dModel / nHeads) % 2 != 0) throw new CheckpointException($"{config.Source}: head dimension {dModel / nHeads} must be even for RoPE");
        if (nHeads % nKv != 0) throw new CheckpointException($"{config.Source}: n_heads {nHeads} is not divisible by n_kv_heads {nKv}");
        var mlp = config.IsNullOrMissing("mlp_hidden_size") ? checked(config.GetPositiveInt("mlp_ratio") * dModel) : config.GetPositiveInt("mlp_hidden_size");
        var vocab = config.GetPositiveInt("vocab_size");
        var embedding = config.IsNullOrMissing("embedding_size") ? vocab : config.GetPositiveInt("embedding_size");
        if (embedding < vocab) throw new CheckpointException($"{config.Source}: embedding_size {embedding} is smaller than vocab_size {vocab}");
        var mask = config.GetInt("mask_token_id");
        if (mask < 0 || mask >= embedding) throw new CheckpointException($"{config.Source}: mask_token_id {mask} is outside the embedding ({embedding} rows)");
        return new LladaConfig
        {
            DModel = dModel,
            NLayers = config.GetPositiveInt("n_layers"),
            NHeads = nHeads,
            NKvHeads = nKv,
            MlpHiddenSize = mlp,
            EmbeddingSize = embedding,
            MaskTokenId = mask,
            MaxSequenceLength = config.GetPositiveInt("max_sequence_length"),
            RopeTheta = config.IsNullOrMissing("rope_theta") ? 10000 : config.GetPositiveDouble("rope_theta"),
            RmsNormEps = config.IsNullOrMissing("rms_norm_eps") ? 1e-5 : config.GetPositiveDouble("rms_norm_eps"),
            EosTokenId = config.GetOptionalInt("eos_token_id"),
            PadTokenId = config.GetOptionalInt("pad_token_id"),
            BosTokenId = config.GetOptionalInt("bos_token_id"),
            WeightTying = config.GetBool("weight_tying", false),
        };
    }
}
