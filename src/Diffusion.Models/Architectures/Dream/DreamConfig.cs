using DiffusionSteering.Diffusion.Models.Checkpoints;

namespace DiffusionSteering.Diffusion.Models.Architectures.Dream;

/// <summary>The values of a Dream (Qwen2-layout) <c>config.json</c> the forward pass uses, validated.</summary>
public sealed record DreamConfig
{
    /// <summary>Residual width (<c>hidden_size</c>).</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Blocks (<c>num_hidden_layers</c>).</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary>Query heads (<c>num_attention_heads</c>).</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary>Key/value heads (<c>num_key_value_heads</c>).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>SwiGLU width (<c>intermediate_size</c>).</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>Vocabulary rows (<c>vocab_size</c>).</summary>
    public required int VocabSize { get; init; }
    /// <summary>Mask token id (<c>mask_token_id</c>).</summary>
    public required long MaskTokenId { get; init; }
    /// <summary>Longest sequence (<c>max_position_embeddings</c>).</summary>
    public required int MaxPositionEmbeddings { get; init; }
    /// <summary>RoPE base θ (<c>rope_theta</c>).</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>RMSNorm epsilon (<c>rms_norm_eps</c>).</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>Whether the LM head is the embedding (<c>tie_word_embeddings</c>).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>End-of-text id.</summary>
    public long? EosTokenId { get; init; }
    /// <summary>Padding id.</summary>
    public long? PadTokenId { get; init; }
    /// <summary>Beginning-of-text id.</summary>
    public long? BosTokenId { get; init; }

    /// <summary>Per-head width.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Every key of the released Dream configs (Qwen2 schema).</summary>
    public static readonly string[] KnownKeys =
    [
        "attention_dropout", "hidden_act", "hidden_size", "intermediate_size", "mask_token_id", "max_position_embeddings",
        "max_window_layers", "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "rms_norm_eps",
        "rope_scaling", "rope_theta", "sliding_window", "use_sliding_window", "vocab_size", "initializer_range",
    ];

    /// <summary>Reads and validates a Dream config.</summary>
    public static DreamConfig FromConfig(ModelConfig config, bool allowUnknownKeys = false)
    {
        if (!allowUnknownKeys) config.RejectUnknownKeys(KnownKeys);
        config.RequireNull("rope_scaling", "only the default RoPE is implemented");
        config.RequireValue("use_sliding_window", false, "Dream attends bidirectionally over the whole sequence");
        if (config.GetOptionalString("hidden_act") is { } act && act != "silu")
            throw new CheckpointException($"{config.Source}: hidden_act '{act}' is not supported (only 'silu')");
        var hidden = config.GetPositiveInt("hidden_size");
        var heads = config.GetPositiveInt("num_attention_heads");
        var kv = config.IsNullOrMissing("num_key_value_heads") ? heads : config.GetPositiveInt("num_key_value_heads");
        if (hidden % heads != 0) throw new CheckpointException($"{config.Source}: hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        if ((hidden / heads) % 2 != 0) throw new CheckpointException($"{config.Source}: head dimension {hidden / heads} must be even for RoPE");
        if (heads % kv != 0) throw new CheckpointException($"{config.Source}: num_attention_heads {heads} is not divisible by num_key_value_heads {kv}");
        var vocab = config.GetPositiveInt("vocab_size");
        var mask = config.GetInt("mask_token_id");
        if (mask < 0 || mask >= vocab) throw new CheckpointException($"{config.Source}: mask_token_id {mask} is outside the vocabulary ({vocab})");
        return new DreamConfig
        {
            HiddenSize = hidden,
            NumHiddenLayers = config.GetPositiveInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kv,
            IntermediateSize = config.GetPositiveInt("intermediate_size"),
            VocabSize = vocab,
            MaskTokenId = mask,
            MaxPositionEmbeddings = config.IsNullOrMissing("max_position_embeddings") ? 32768 : config.GetPositiveInt("max_position_embeddings"),
            RopeTheta = config.IsNullOrMissing("rope_theta") ? 10000 : config.GetPositiveDouble("rope_theta"),
            RmsNormEps = config.IsNullOrMissing("rms_norm_eps") ? 1e-6 : config.GetPositiveDouble("rms_norm_eps"),
            TieWordEmbeddings = config.GetBool("tie_word_embeddings", false),
            EosTokenId = config.GetOptionalInt("eos_token_id"),
            PadTokenId = config.GetOptionalInt("pad_token_id"),
            BosTokenId = config.GetOptionalInt("bos_token_id"),
        };
    }
}
