using DiffusionSteering.Diffusion.Models.Checkpoints;

namespace DiffusionSteering.Diffusion.Models.Architectures.Mdlm;

/// <summary>The values of an MDLM <c>config.json</c> (HF <c>MDLMConfig</c>) the DiT backbone uses, validated.</summary>
public sealed record MdlmConfig
{
    /// <summary>Residual width (<c>hidden_dim</c>).</summary>
    public required int HiddenDim { get; init; }
    /// <summary>Blocks (<c>n_blocks</c>).</summary>
    public required int NBlocks { get; init; }
    /// <summary>Heads (<c>n_heads</c>).</summary>
    public required int NHeads { get; init; }
    /// <summary>Width of the noise-level conditioning vector (<c>cond_dim</c>).</summary>
    public required int CondDim { get; init; }
    /// <summary>Output rows, the mask included (<c>vocab_size</c>).</summary>
    public required int VocabSize { get; init; }
    /// <summary>Longest sequence (<c>model_length</c>).</summary>
    public required int ModelLength { get; init; }
    /// <summary>Whether σ conditions the model (<c>time_conditioning</c>); when false σ is zeroed.</summary>
    public bool TimeConditioning { get; init; }

    /// <summary>The mask id: the last row (GPT-2 has no mask token; the research code uses <c>tokenizer.vocab_size</c>).</summary>
    public long MaskTokenId => VocabSize - 1;

    /// <summary>Per-head width.</summary>
    public int HeadDim => HiddenDim / NHeads;

    /// <summary>The keys of MDLMConfig.</summary>
    public static readonly string[] KnownKeys = ["cond_dim", "dropout", "hidden_dim", "model_length", "n_blocks", "n_heads", "time_conditioning", "vocab_size"];

    /// <summary>Reads and validates an MDLM config.</summary>
    public static MdlmConfig FromConfig(ModelConfig config, bool allowUnknownKeys = false)
    {
        if (!allowUnknownKeys) config.RejectUnknownKeys(KnownKeys);
        var hidden = config.GetPositiveInt("hidden_dim");
        var heads = config.GetPositiveInt("n_heads");
        if (hidden % heads != 0) throw new CheckpointException($"{config.Source}: hidden_dim {hidden} is not divisible by n_heads {heads}");
        if ((hidden / heads) % 2 != 0) throw new CheckpointException($"{config.Source}: head dimension {hidden / heads} must be even for RoPE");
        var vocab = config.GetPositiveInt("vocab_size");
        if (vocab < 2) throw new CheckpointException($"{config.Source}: vocab_size must be at least 2 (tokens plus the mask)");
        return new MdlmConfig
        {
            HiddenDim = hidden,
            NBlocks = config.GetPositiveInt("n_blocks"),
            NHeads = heads,
            CondDim = config.GetPositiveInt("cond_dim"),
            VocabSize = vocab,
            ModelLength = config.GetPositiveInt("model_length"),
            TimeConditioning = config.GetBool("time_conditioning", false),
        };
    }
}
