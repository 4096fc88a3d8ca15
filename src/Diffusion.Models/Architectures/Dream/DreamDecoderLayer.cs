using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Architectures.Dream;

/// <summary>Dream's attention block (<c>DreamSdpaAttention</c>): Q/K/V with bias, grouped-query heads, RoPE, no causal mask.</summary>
public sealed class DreamAttention : nn.Module
{
    private readonly DreamConfig _config;

    /// <summary>Creates the projections.</summary>
    public DreamAttention(DreamConfig config, Device? device, ScalarType? dtype) : base("self_attn")
    {
        _config = config;
        var kv = config.NumKeyValueHeads * config.HeadDim;
        q_proj = new nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: true, device, dtype);
        k_proj = new nn.Linear(config.HiddenSize, kv, hasBias: true, device, dtype);
        v_proj = new nn.Linear(config.HiddenSize, kv, hasBias: true, device, dtype);
        o_proj = new nn.Linear(config.HiddenSize, config.HiddenSize, hasBias: false, device, dtype);
        RegisterComponents();
    }

    /// <summary>Query projection (with bias).</summary>
    public nn.Linear q_proj;
    /// <summary>Key projection (with bias).</summary>
    public nn.Linear k_proj;
    /// <summary>Value projection (with bias).</summary>
    public nn.Linear v_proj;
    /// <summary>Output projection (no bias).</summary>
    public nn.Linear o_proj;

    /// <summary>o_proj(SDPA(RoPE(q), RoPE(k), v, mask)) with cos/sin already in the model dtype, [B, L, head_dim].</summary>
    public Tensor Forward(Tensor h, Tensor cos, Tensor sin, Tensor? mask4D)
    {
        using var scope = NewDisposeScope();
        var shape = h.shape;
        long batch = shape[0], length = shape[1];
        int heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads, headDim = _config.HeadDim;
        var q = q_proj.forward(h).view(batch, length, heads, headDim).transpose(1, 2);
        var k = k_proj.forward(h).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var v = v_proj.forward(h).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var c = cos.unsqueeze(1);   // [B, 1, L, hd]
        var s = sin.unsqueeze(1);
        q = Rope.Apply(q, c, s);
        k = Rope.Apply(k, c, s);
        if (kvHeads < heads)
        {
            k = k.repeat_interleave(heads / kvHeads, 1);   // repeat_kv: query head h reads kv head h / group
            v = v.repeat_interleave(heads / kvHeads, 1);
        }
        var attention = nn.functional.scaled_dot_product_attention(q, k, v, mask4D);
        attention = attention.transpose(1, 2).reshape(batch, length, heads * headDim);
        return o_proj.forward(attention).MoveToOuterDisposeScope();
    }
}

/// <summary>Dream's SwiGLU MLP: down(silu(gate(h)) ⊙ up(h)).</summary>
public sealed class DreamMlp : nn.Module
{
    /// <summary>Creates the projections.</summary>
    public DreamMlp(DreamConfig config, Device? device, ScalarType? dtype) : base("mlp")
    {
        gate_proj = new nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device, dtype);
        up_proj = new nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device, dtype);
        down_proj = new nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device, dtype);
        RegisterComponents();
    }

    /// <summary>Gate projection (through SiLU).</summary>
    public nn.Linear gate_proj;
    /// <summary>Up projection.</summary>
    public nn.Linear up_proj;
    /// <summary>Down projection.</summary>
    public nn.Linear down_proj;

    /// <summary>down(silu(gate(h)) ⊙ up(h)).</summary>
    public Tensor Forward(Tensor h)
    {
        using var scope = NewDisposeScope();
        return down_proj.forward(gate_proj.forward(h).silu() * up_proj.forward(h)).MoveToOuterDisposeScope();
    }
}

/// <summary>One Dream decoder layer: pre-RMSNorm attention and MLP with residual adds.</summary>
public sealed class DreamDecoderLayer : nn.Module
{
    private readonly int _layer;

    /// <summary>Creates the layer.</summary>
    public DreamDecoderLayer(DreamConfig config, int layer, Device? device, ScalarType? dtype) : base(nameof(DreamDecoderLayer))
    {
        _layer = layer;
        input_layernorm = new nn.RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        self_attn = new DreamAttention(config, device, dtype);
        post_attention_layernorm = new nn.RMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        mlp = new DreamMlp(config, device, dtype);
        RegisterComponents();
    }

    /// <summary>RMSNorm before attention.</summary>
    public nn.RMSNorm input_layernorm;
    /// <summary>Attention.</summary>
    public DreamAttention self_attn;
    /// <summary>RMSNorm before the MLP.</summary>
    public nn.RMSNorm post_attention_layernorm;
    /// <summary>MLP.</summary>
    public DreamMlp mlp;

    /// <summary>x ← x + attn(norm(x)); x ← x + mlp(norm(x)), with residual hooks at the three points.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask4D, ResidualHooks hooks)
    {
        using var scope = NewDisposeScope();
        x = hooks.Run(_layer, HookPoint.ResidPre, x);
        x = x + self_attn.Forward(input_layernorm.forward(x), cos, sin, mask4D);
        x = hooks.Run(_layer, HookPoint.ResidMid, x);
        x = x + mlp.Forward(post_attention_layernorm.forward(x));
        x = hooks.Run(_layer, HookPoint.ResidPost, x);
        return x.MoveToOuterDisposeScope();
    }
}
