using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Architectures.Dream;

/// <summary>
/// Dream (Ye et al. 2025, "Dream 7B"; HF <c>modeling_dream.py</c>): a Qwen2.5 transformer run bidirectionally. The
/// logits it returns are unshifted, as the model's own forward returns them; the one-position shift (the prediction
/// for token i is read at i−1) happens where the original does it: in the sampler, and in
/// <see cref="PredictionLogProbs"/>. dtype pipeline as the reference: RMSNorm statistics in float32, RoPE cos/sin
/// computed in float32 then cast to the model dtype, everything else in the weights' dtype.
/// </summary>
public sealed class DreamModel : DenoiserModule
{
    private readonly nn.Embedding _embedTokens;
    private readonly nn.ModuleList<DreamDecoderLayer> _layers;
    private readonly nn.RMSNorm _norm;
    private readonly nn.Linear? _lmHead;
    private readonly Tensor _inverseFrequencies;

    /// <summary>Creates a randomly initialised model.</summary>
    public DreamModel(DreamConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(DreamModel), new DenoiserSpec("Dream", config.VocabSize, config.MaskTokenId, config.NumHiddenLayers,
            config.HiddenSize, config.MaxPositionEmbeddings, 1, config.EosTokenId, config.PadTokenId, config.BosTokenId))
    {
        Config = config;
        var model = new ModuleContainer("DreamBaseModel");
        _embedTokens = model.Add("embed_tokens", new nn.Embedding(config.VocabSize, config.HiddenSize, device, dtype));
        _layers = model.Add("layers", new nn.ModuleList<DreamDecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DreamDecoderLayer(config, i, device, dtype))));
        _norm = model.Add("norm", new nn.RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype));
        register_module("model", model);
        if (!config.TieWordEmbeddings)
        {
            _lmHead = new nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device, dtype);
            register_module("lm_head", _lmHead);
        }
        _inverseFrequencies = Rope.InverseFrequencies(config.HeadDim, config.RopeTheta).DetachFromDisposeScope();
    }

    /// <summary>The validated configuration.</summary>
    public DreamConfig Config { get; }

    /// <summary>Loads a Dream checkpoint folder (the loader's factory for <c>model_type</c> "Dream").</summary>
    public static IDenoiser FromCheckpoint(string folder, ModelConfig config, DenoiserLoadOptions options)
    {
        var parsed = DreamConfig.FromConfig(config, options.AllowUnknownConfigKeys);
        var dtype = DenoiserLoader.ResolveDType(config, options);
        return LoadFromCheckpoint(folder, device => new DreamModel(parsed, device, dtype), dtype, options, name => name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal));
    }

    /// <summary>
    /// Raw (unshifted) logits. Attention: <see cref="DenoiserInput.AttentionMask4D"/> (bool, true = attend) and
    /// <see cref="DenoiserInput.PositionIds"/> are used as given; a [B, L] <see cref="DenoiserInput.AttentionMask"/> with
    /// padding is turned into both exactly as Dream's sampler does (4-D mask = key ∧ query validity; positions =
    /// cumsum − 1 with padded positions set to 1); with no padding, no mask and positions 0..L−1.
    /// </summary>
    public override Tensor forward(DenoiserInput input)
    {
        var (batch, length) = ValidateIds(input.InputIds);
        ValidateSameShape(input.AttentionMask, batch, length, "attention mask");
        ValidateSameShape(input.PositionIds, batch, length, "position ids");
        using var scope = NewDisposeScope();
        var (mask4D, positionIds) = ResolveMaskAndPositions(input, batch, length);
        if (mask4D is not null)
        {
            var s = mask4D.shape;
            if (mask4D.dtype != ScalarType.Bool || s.Length != 4 || s[0] != batch || s[1] != 1 || s[2] != length || s[3] != length)
                throw new ArgumentException($"the 4-D attention mask must be bool [{batch}, 1, {length}, {length}], got {mask4D}");
        }
        var x = _embedTokens.forward(input.InputIds);
        var (cos, sin) = Rope.Angles(positionIds.to(ScalarType.Float32), _inverseFrequencies.to(x.device));
        cos = cos.to(x.dtype);
        sin = sin.to(x.dtype);
        foreach (var layer in _layers) x = layer.Forward(x, cos, sin, mask4D, Hooks);
        var logits = Logits(FinalNorm(x));
        return logits.MoveToOuterDisposeScope();
    }

    private static (Tensor? mask4D, Tensor positionIds) ResolveMaskAndPositions(DenoiserInput input, long batch, long length)
    {
        var explicitForm = input.AttentionMask4D is not null || input.PositionIds is not null;
        if (explicitForm && input.AttentionMask is not null)
            throw new ArgumentException("give either a [B, L] attention mask, or a 4-D mask and/or position ids, not both");
        if (!explicitForm && (input.AttentionMask is null || !AttentionMasks.HasPadding(input.AttentionMask)))
            return (null, arange(0, length, ScalarType.Int64, input.InputIds.device).unsqueeze(0).expand(batch, length));
        if (explicitForm)
            return (input.AttentionMask4D, input.PositionIds ?? arange(0, length, ScalarType.Int64, input.InputIds.device).unsqueeze(0).expand(batch, length));
        // Dream generation_utils: attention_mask = am[:, None, None, :] & am[:, None, :, None]; tok_idx = cumsum(am) − 1, pads → 1.
        var valid = input.AttentionMask!.ne(0);
        var mask4D = valid.unsqueeze(1).unsqueeze(-2).logical_and(valid.unsqueeze(1).unsqueeze(-1));
        var positionIds = valid.to(ScalarType.Int64).cumsum(-1) - 1;
        positionIds = positionIds.masked_fill(valid.logical_not(), 1);
        return (mask4D, positionIds);
    }

    /// <summary><c>model.norm</c>: the final RMSNorm (its output is the last entry of HF <c>hidden_states</c>).</summary>
    public Tensor FinalNorm(Tensor residual) => _norm.forward(residual);

    private Tensor Logits(Tensor normed) =>
        _lmHead is not null ? _lmHead.forward(normed) : nn.functional.linear(normed, _embedTokens.weight);

    /// <summary>
    /// Dream's shift then log-softmax: <c>logits = cat(logits[:, :1], logits[:, :-1])</c> (generation_utils.py), so the
    /// distribution of token i comes from the output at i−1.
    /// </summary>
    public override Tensor PredictionLogProbs(Tensor logits, Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        return ShiftLogits(logits).log_softmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary><c>cat(logits[:, :1], logits[:, :-1], dim=1)</c>.</summary>
    public static Tensor ShiftLogits(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var length = logits.size(1);
        return cat([logits.narrow(1, 0, 1), logits.narrow(1, 0, length - 1)], 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _inverseFrequencies.Dispose();
        base.Dispose(disposing);
    }
}
