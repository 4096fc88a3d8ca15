using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Architectures.Llada;

/// <summary>
/// One LLaDA block (<c>LLaDALlamaBlock</c>): pre-RMSNorm bidirectional attention with RoPE applied in float32, then a
/// SwiGLU MLP whose gate is <c>ff_proj</c> (through SiLU) and whose up projection is <c>up_proj</c>.
/// </summary>
public sealed class LladaBlock : nn.Module
{
    private readonly LladaConfig _config;
    private readonly int _layer;

    /// <summary>Creates the block's parameters.</summary>
    public LladaBlock(LladaConfig config, int layer, Device? device, ScalarType? dtype) : base(nameof(LladaBlock))
    {
        _config = config;
        _layer = layer;
        var d = config.DModel;
        var kv = config.NKvHeads * config.HeadDim;
        attn_norm = new nn.RMSNorm(d, config.RmsNormEps, device, dtype);
        q_proj = new nn.Linear(d, d, hasBias: false, device, dtype);
        k_proj = new nn.Linear(d, kv, hasBias: false, device, dtype);
        v_proj = new nn.Linear(d, kv, hasBias: false, device, dtype);
        attn_out = new nn.Linear(d, d, hasBias: false, device, dtype);
        ff_norm = new nn.RMSNorm(d, config.RmsNormEps, device, dtype);
        ff_proj = new nn.Linear(d, config.MlpHiddenSize, hasBias: false, device, dtype);
        up_proj = new nn.Linear(d, config.MlpHiddenSize, hasBias: false, device, dtype);
        ff_out = new nn.Linear(config.MlpHiddenSize, d, hasBias: false, device, dtype);
        RegisterComponents();
    }

#pragma warning disable IDE1006 // checkpoint names
    /// <summary>RMSNorm before attention.</summary>
    public nn.RMSNorm attn_norm;
    /// <summary>Query projection.</summary>
    public nn.Linear q_proj;
    /// <summary>Key projection.</summary>
    public nn.Linear k_proj;
    /// <summary>Value projection.</summary>
    public nn.Linear v_proj;
    /// <summary>Attention output projection.</summary>
    public nn.Linear attn_out;
    /// <summary>RMSNorm before the MLP.</summary>
    public nn.RMSNorm ff_norm;
    /// <summary>SwiGLU gate (goes through SiLU).</summary>
    public nn.Linear ff_proj;
    /// <summary>SwiGLU up projection.</summary>
    public nn.Linear up_proj;
    /// <summary>MLP down projection.</summary>
    public nn.Linear ff_out;
#pragma warning restore IDE1006

    /// <summary>
    /// x ← x + attn_out(attention(attn_norm(x))); x ← x + ff_out(silu(ff_proj(h)) ⊙ up_proj(h)), h = ff_norm(x).
    /// <paramref name="cos"/>/<paramref name="sin"/> are float32 [L, head_dim]; <paramref name="bias"/> is the additive
    /// key-padding bias or null.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? bias, ResidualHooks hooks)
    {
        using var scope = NewDisposeScope();
        var shape = x.shape;
        long batch = shape[0], length = shape[1];
        int heads = _config.NHeads, kvHeads = _config.NKvHeads, headDim = _config.HeadDim;

        x = hooks.Run(_layer, HookPoint.ResidPre, x);
        var h = attn_norm.forward(x);
        var q = q_proj.forward(h).view(batch, length, heads, headDim).transpose(1, 2);
        var k = k_proj.forward(h).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var v = v_proj.forward(h).view(batch, length, kvHeads, headDim).transpose(1, 2);
        // LLaDA rope_full_precision: rotate in float32, round once back to the model dtype.
        q = Rope.Apply(q.to(ScalarType.Float32), cos, sin).to(q.dtype);
        k = Rope.Apply(k.to(ScalarType.Float32), cos, sin).to(k.dtype);
        if (kvHeads < heads)
        {
            k = k.repeat_interleave(heads / kvHeads, 1);
            v = v.repeat_interleave(heads / kvHeads, 1);
        }
        var attention = nn.functional.scaled_dot_product_attention(q, k, v, bias);
        attention = attention.transpose(1, 2).reshape(batch, length, heads * headDim);
        x = x + attn_out.forward(attention);
        x = hooks.Run(_layer, HookPoint.ResidMid, x);

        h = ff_norm.forward(x);
        var gated = ff_proj.forward(h).silu() * up_proj.forward(h);
        x = x + ff_out.forward(gated);
        x = hooks.Run(_layer, HookPoint.ResidPost, x);
        return x.MoveToOuterDisposeScope();
    }
}
