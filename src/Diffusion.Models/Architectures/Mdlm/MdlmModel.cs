using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Architectures.Mdlm;

/// <summary>
/// MDLM (Sahoo et al. 2024; kuleshov-group/mdlm <c>models/dit.py</c>, HF <c>mdlm-owt</c> names): a diffusion
/// transformer conditioned on the noise level σ through adaLN. The mask id is the last vocabulary row. The forward
/// returns the backbone's raw logits; <see cref="PredictionLogProbs"/> applies the SUBS parameterization.
/// </summary>
public sealed class MdlmModel : DenoiserModule
{
    /// <summary>SUBS's stand-in for −∞ (<c>neg_infinity</c> in diffusion.py).</summary>
    public const double NegInfinity = -1e6;

    private const int FrequencyEmbeddingSize = 256;

    private readonly nn.Parameter _vocabEmbed;
    private readonly nn.Linear _sigmaMap0;
    private readonly nn.Linear _sigmaMap2;
    private readonly nn.ModuleList<MdlmBlock> _blocks;
    private readonly MdlmLayerNorm _normFinal;
    private readonly nn.Linear _outputLinear;
    private readonly nn.Linear _outputModulation;
    private readonly Tensor _inverseFrequencies;

    /// <summary>Creates a randomly initialised model.</summary>
    public MdlmModel(MdlmConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(MdlmModel), new DenoiserSpec("mdlm", config.VocabSize, config.MaskTokenId, config.NBlocks, config.HiddenDim, config.ModelLength))
    {
        Config = config;
        var backbone = new ModuleContainer("DITBackbone");
        var vocabEmbed = backbone.Add("vocab_embed", new ModuleContainer("EmbeddingLayer"));
        _vocabEmbed = new nn.Parameter(randn([config.VocabSize, config.HiddenDim], dtype, device));
        vocabEmbed.register_parameter("embedding", _vocabEmbed);
        var sigmaMap = backbone.Add("sigma_map", new ModuleContainer("TimestepEmbedder"));
        var sigmaMlp = sigmaMap.Add("mlp", new ModuleContainer("mlp"));
        _sigmaMap0 = sigmaMlp.Add("0", new nn.Linear(FrequencyEmbeddingSize, config.CondDim, hasBias: true, device, dtype));
        _sigmaMap2 = sigmaMlp.Add("2", new nn.Linear(config.CondDim, config.CondDim, hasBias: true, device, dtype));
        _blocks = backbone.Add("blocks", new nn.ModuleList<MdlmBlock>(
            Enumerable.Range(0, config.NBlocks).Select(i => new MdlmBlock(config, i, device, dtype))));
        var output = backbone.Add("output_layer", new ModuleContainer("DDitFinalLayer"));
        _normFinal = output.Add("norm_final", new MdlmLayerNorm(config.HiddenDim, device, dtype));
        _outputLinear = output.Add("linear", new nn.Linear(config.HiddenDim, config.VocabSize, hasBias: true, device, dtype));
        _outputModulation = output.Add("adaLN_modulation", new nn.Linear(config.CondDim, 2 * config.HiddenDim, hasBias: true, device, dtype));
        register_module("backbone", backbone);
        _inverseFrequencies = Rope.InverseFrequencies(config.HeadDim, 10000).DetachFromDisposeScope();
    }

    /// <summary>The validated configuration.</summary>
    public MdlmConfig Config { get; }

    /// <summary>Loads an MDLM checkpoint folder (the loader's factory for <c>model_type</c> "mdlm").</summary>
    public static IDenoiser FromCheckpoint(string folder, ModelConfig config, DenoiserLoadOptions options)
    {
        var parsed = MdlmConfig.FromConfig(config, options.AllowUnknownConfigKeys);
        var dtype = DenoiserLoader.ResolveDType(config, options);
        return LoadFromCheckpoint(folder, device => new MdlmModel(parsed, device, dtype), dtype, options,
            // The rotary inv_freq buffer is recomputed, never read (it may be absent or stale).
            name => name == "backbone.rotary_emb.inv_freq");
    }

    /// <summary>
    /// Raw backbone logits [B, L, V]. <see cref="DenoiserInput.NoiseLevel"/> σ [B] is required when the model is
    /// time-conditioned; otherwise σ is zeroed, as the reference does.
    /// </summary>
    public override Tensor forward(DenoiserInput input)
    {
        var (batch, length) = ValidateIds(input.InputIds);
        if (input.AttentionMask is not null || input.AttentionMask4D is not null || input.PositionIds is not null)
            throw new ArgumentException("MDLM takes no attention mask or position ids (it has no padding)");
        using var scope = NewDisposeScope();
        var x = nn.functional.embedding(input.InputIds, _vocabEmbed);
        var c = Conditioning(input.NoiseLevel, batch, x.device);
        var (cos, sin) = Rope.Angles(arange(0, length, ScalarType.Float32, x.device), _inverseFrequencies.to(x.device));
        foreach (var block in _blocks) x = block.Forward(x, c, cos, sin, Hooks);
        var modulation = Dit.Linear(_outputModulation, c).unsqueeze(1).chunk(2, 2);
        var logits = Dit.Linear(_outputLinear, Dit.Modulate(_normFinal.Forward(x), modulation[0], modulation[1]));
        return logits.MoveToOuterDisposeScope();
    }

    private Tensor Conditioning(Tensor? noiseLevel, long batch, Device device)
    {
        Tensor sigma;
        if (Config.TimeConditioning)
        {
            if (noiseLevel is null) throw new ArgumentException("this MDLM is time-conditioned: give DenoiserInput.NoiseLevel (σ per row)");
            var s = noiseLevel.shape;
            if (s.Length != 1 || s[0] != batch) throw new ArgumentException($"noise level must have shape [{batch}], got [{string.Join(", ", s)}]");
            sigma = noiseLevel.to(device, ScalarType.Float32);
        }
        else
        {
            sigma = zeros([batch], ScalarType.Float32, device);
        }
        // timestep_embedding (dit.py): freqs_j = exp(−ln(10000)·j/half), emb = [cos(σ·f), sin(σ·f)] — cosine first.
        const int half = FrequencyEmbeddingSize / 2;
        var freqs = (arange(0, half, ScalarType.Float32, device) * -Math.Log(10000)).div(half).exp();
        var args = sigma.unsqueeze(1) * freqs.unsqueeze(0);
        var embedding = cat([args.cos(), args.sin()], -1);
        return Dit.Linear(_sigmaMap2, Dit.Linear(_sigmaMap0, embedding).silu()).silu();
    }

    /// <summary>
    /// SUBS parameterization (Sahoo et al. 2024, §3.2; <c>Diffusion._subs_parameterization</c>): the mask logit gets −1e6,
    /// log-softmax, then every unmasked position becomes a point mass on its token (0 there, −1e6 elsewhere).
    /// </summary>
    public override Tensor PredictionLogProbs(Tensor logits, Tensor inputIds) => Subs(logits, inputIds, Config.MaskTokenId);

    /// <summary>SUBS log-probabilities for any logits and noisy ids (see <see cref="PredictionLogProbs"/>).</summary>
    public static Tensor Subs(Tensor logits, Tensor noisyIds, long maskTokenId)
    {
        using var scope = NewDisposeScope();
        var adjusted = logits.clone();
        using (var maskColumn = adjusted.select(-1, maskTokenId)) maskColumn.add_(NegInfinity);
        var logProbs = adjusted - adjusted.logsumexp(-1, keepdim: true);
        var unmasked = noisyIds.ne(maskTokenId).unsqueeze(-1);
        var carryOver = full_like(logProbs, NegInfinity).scatter(-1, noisyIds.unsqueeze(-1), 0.0);
        return where(unmasked, carryOver, logProbs).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _inverseFrequencies.Dispose();
        base.Dispose(disposing);
    }
}
