using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Architectures.Llada;

/// <summary>
/// LLaDA (Nie et al. 2025, "Large Language Diffusion Models"; HF <c>modeling_llada.py</c>, Oct-2025 revision): a
/// bidirectional Llama-style transformer. Parameter names are the released checkpoint's
/// (<c>model.transformer.blocks.{i}.q_proj.weight</c>, …). dtype pipeline as the reference: RMSNorm statistics in
/// float32, RoPE in float32 with one rounding, everything else (residual stream, logits) in the weights' dtype.
/// </summary>
public sealed class LladaModel : DenoiserModule
{
    private readonly ModuleContainer _transformer;
    private readonly nn.Embedding _wte;
    private readonly nn.ModuleList<LladaBlock> _blocks;
    private readonly nn.RMSNorm _lnF;
    private readonly nn.Linear? _lmHead;
    private readonly Tensor _inverseFrequencies;

    /// <summary>Creates a randomly initialised model (PyTorch default initialisation) on a device and dtype.</summary>
    public LladaModel(LladaConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(LladaModel), new DenoiserSpec("llada", config.EmbeddingSize, config.MaskTokenId, config.NLayers, config.DModel,
            config.MaxSequenceLength, 0, config.EosTokenId, config.PadTokenId, config.BosTokenId))
    {
        Config = config;
        var model = new ModuleContainer("LLaDAModel");
        _transformer = model.Add("transformer", new ModuleContainer("transformer"));
        _wte = _transformer.Add("wte", new nn.Embedding(config.EmbeddingSize, config.DModel, device, dtype));
        _blocks = _transformer.Add("blocks", new nn.ModuleList<LladaBlock>(
            Enumerable.Range(0, config.NLayers).Select(i => new LladaBlock(config, i, device, dtype))));
        _lnF = _transformer.Add("ln_f", new nn.RMSNorm(config.DModel, config.RmsNormEps, device, dtype));
        if (!config.WeightTying)
            _lmHead = _transformer.Add("ff_out", new nn.Linear(config.DModel, config.EmbeddingSize, hasBias: false, device, dtype));
        register_module("model", model);
        _inverseFrequencies = Rope.InverseFrequencies(config.HeadDim, config.RopeTheta).DetachFromDisposeScope();
    }

    /// <summary>The validated configuration.</summary>
    public LladaConfig Config { get; }

    /// <summary>Loads a LLaDA checkpoint folder (the loader's factory for <c>model_type</c> "llada").</summary>
    public static IDenoiser FromCheckpoint(string folder, ModelConfig config, DenoiserLoadOptions options)
    {
        var parsed = LladaConfig.FromConfig(config, options.AllowUnknownConfigKeys);
        var generation = Path.Combine(folder, "generation_config.json");
        if (parsed.BosTokenId is null && File.Exists(generation))
            parsed = parsed with { BosTokenId = ModelConfig.Load(generation).GetOptionalInt("bos_token_id") };
        var dtype = DenoiserLoader.ResolveDType(config, options);
        return LoadFromCheckpoint(folder, device => new LladaModel(parsed, device, dtype), dtype, options);
    }

    /// <inheritdoc />
    public override Tensor forward(DenoiserInput input)
    {
        var (batch, length) = ValidateIds(input.InputIds);
        ValidateSameShape(input.AttentionMask, batch, length, "attention mask");
        if (input.AttentionMask4D is not null || input.PositionIds is not null)
            throw new ArgumentException("LLaDA takes a [B, L] attention mask only (no 4-D mask or position ids)");
        using var scope = NewDisposeScope();
        var x = _wte.forward(input.InputIds);
        var dtype = x.dtype;
        Tensor? bias = input.AttentionMask is { } mask && AttentionMasks.HasPadding(mask)
            ? AttentionMasks.KeyPaddingBias(mask, dtype)
            : null;
        // RoPE positions are 0..L−1 even for left-padded rows (reference behaviour).
        var positions = arange(0, length, ScalarType.Float32, x.device);
        var (cos, sin) = Rope.Angles(positions, _inverseFrequencies.to(x.device));
        foreach (var block in _blocks) x = block.Forward(x, cos, sin, bias, Hooks);
        var logits = Logits(FinalNorm(x));
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary><c>ln_f</c>: the final RMSNorm (its output is the last entry of HF <c>hidden_states</c>).</summary>
    public Tensor FinalNorm(Tensor residual) => _lnF.forward(residual);

    private Tensor Logits(Tensor normed) =>
        _lmHead is not null ? _lmHead.forward(normed) : nn.functional.linear(normed, _wte.weight);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _inverseFrequencies.Dispose();
        base.Dispose(disposing);
    }
}
