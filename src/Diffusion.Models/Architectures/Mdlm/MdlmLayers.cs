using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Architectures.Mdlm;

/// <summary>MDLM's LayerNorm: <c>F.layer_norm(x.float(), [d])</c> (no affine, eps 1e-5) times a weight, in float32.</summary>
public sealed class MdlmLayerNorm : nn.Module
{
    private readonly long _dim;

    /// <summary>Creates the weight.</summary>
    public MdlmLayerNorm(long dim, Device? device, ScalarType? dtype) : base("LayerNorm")
    {
        _dim = dim;
        weight = new nn.Parameter(ones([dim], dtype, device));
        register_parameter(nameof(weight), weight);
    }

    /// <summary>Scale.</summary>
    public nn.Parameter weight;

    /// <summary>layer_norm(x in float32) · weight.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (nn.functional.layer_norm(x.to(ScalarType.Float32), [_dim]) * weight).MoveToOuterDisposeScope();
    }
}

/// <summary>Shared helpers of the DiT blocks.</summary>
internal static class Dit
{
    /// <summary>modulate(x, shift, scale) = x·(1 + scale) + shift (DiT, Peebles &amp; Xie 2023, adaLN).</summary>
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale)
    {
        using var scope = NewDisposeScope();
        return (x * (scale + 1.0) + shift).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A Linear applied with its input cast to the weight dtype (autocast-style), e.g. the float32 LayerNorm output into
    /// bf16 weights. Under autocast the linear op casts both operands itself, so the input goes in as it is: casting it
    /// to float32 weights first would only add a bf16→fp32→bf16 round trip (exact, but a full copy of the activation).
    /// </summary>
    public static Tensor Linear(nn.Linear layer, Tensor x)
    {
        var dtype = layer.weight.dtype;
        var input = x.dtype;
        if (input == dtype) return layer.forward(x);
        if (x.device_type is DeviceType.CPU or DeviceType.CUDA && is_autocast_enabled(x.device_type)) return layer.forward(x);
        using var cast = x.to(dtype);
        return layer.forward(cast);
    }
}

/// <summary>
/// One DiT block of MDLM (<c>DDiTBlock</c>): adaLN-modulated LayerNorm, rotary multi-head attention with a gated
/// residual, then an adaLN-modulated GELU-tanh MLP with a gated residual.
/// </summary>
public sealed class MdlmBlock : nn.Module
{
    private readonly MdlmConfig _config;
    private readonly int _layer;
    private readonly nn.Linear _mlp0;
    private readonly nn.Linear _mlp2;

    /// <summary>Creates the block.</summary>
    public MdlmBlock(MdlmConfig config, int layer, Device? device, ScalarType? dtype) : base("DDiTBlock")
    {
        _config = config;
        _layer = layer;
        var d = config.HiddenDim;
        norm1 = new MdlmLayerNorm(d, device, dtype);
        attn_qkv = new nn.Linear(d, 3 * d, hasBias: false, device, dtype);
        attn_out = new nn.Linear(d, d, hasBias: false, device, dtype);
        norm2 = new MdlmLayerNorm(d, device, dtype);
        var mlp = new ModuleContainer("mlp");
        _mlp0 = mlp.Add("0", new nn.Linear(d, 4 * d, hasBias: true, device, dtype));
        _mlp2 = mlp.Add("2", new nn.Linear(4 * d, d, hasBias: true, device, dtype));
        adaLN_modulation = new nn.Linear(config.CondDim, 6 * d, hasBias: true, device, dtype);
        register_module(nameof(norm1), norm1);
        register_module(nameof(attn_qkv), attn_qkv);
        register_module(nameof(attn_out), attn_out);
        register_module(nameof(norm2), norm2);
        register_module("mlp", mlp);
        register_module(nameof(adaLN_modulation), adaLN_modulation);
    }

    /// <summary>LayerNorm before attention.</summary>
    public MdlmLayerNorm norm1;
    /// <summary>Packed q | k | v projection (heads contiguous).</summary>
    public nn.Linear attn_qkv;
    /// <summary>Attention output projection.</summary>
    public nn.Linear attn_out;
    /// <summary>LayerNorm before the MLP.</summary>
    public MdlmLayerNorm norm2;
    /// <summary>c → (shift, scale, gate) for attention and MLP.</summary>
    public nn.Linear adaLN_modulation;

    /// <summary>The block on x [B, L, d] with conditioning c [B, cond] and rotary cos/sin [L, head_dim].</summary>
    public Tensor Forward(Tensor x, Tensor c, Tensor cos, Tensor sin, ResidualHooks hooks)
    {
        using var scope = NewDisposeScope();
        var shape = x.shape;
        long batch = shape[0], length = shape[1];
        int heads = _config.NHeads, headDim = _config.HeadDim, d = _config.HiddenDim;
        var modulation = Dit.Linear(adaLN_modulation, c).unsqueeze(1).chunk(6, 2);
        Tensor shiftMsa = modulation[0], scaleMsa = modulation[1], gateMsa = modulation[2];
        Tensor shiftMlp = modulation[3], scaleMlp = modulation[4], gateMlp = modulation[5];

        x = hooks.Run(_layer, HookPoint.ResidPre, x);
        var h = Dit.Modulate(norm1.Forward(x), shiftMsa, scaleMsa);
        var qkv = Dit.Linear(attn_qkv, h).view(batch, length, 3, heads, headDim);
        var rc = cos.to(qkv.dtype).unsqueeze(1);   // [L, 1, hd] over [B, L, H, hd]
        var rs = sin.to(qkv.dtype).unsqueeze(1);
        var q = Rope.Apply(qkv.select(2, 0), rc, rs).transpose(1, 2);
        var k = Rope.Apply(qkv.select(2, 1), rc, rs).transpose(1, 2);
        var v = qkv.select(2, 2).transpose(1, 2);
        var attention = nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, length, d);
        x = x + gateMsa * Dit.Linear(attn_out, attention);
        x = hooks.Run(_layer, HookPoint.ResidMid, x);

        h = Dit.Modulate(norm2.Forward(x), shiftMlp, scaleMlp);
        var mlpOut = Dit.Linear(_mlp2, Dit.Linear(_mlp0, h).gelu("tanh"));
        x = x + gateMlp * mlpOut;
        x = hooks.Run(_layer, HookPoint.ResidPost, x);
        return x.MoveToOuterDisposeScope();
    }
}
