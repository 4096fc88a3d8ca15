using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Layers;

/// <summary>Attention-mask helpers shared by the architectures.</summary>
public static class AttentionMasks
{
    /// <summary>The most negative finite value of a floating-point dtype (<c>torch.finfo(dtype).min</c>).</summary>
    public static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => float.MinValue,
        ScalarType.Float64 => double.MinValue,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float16 => -65504.0,
        _ => throw new ArgumentException($"no floating-point minimum for {dtype}"),
    };

    /// <summary>
    /// LLaDA's additive key-padding bias: [B, 1, 1, L] with finfo(float32).min at padded keys (0 elsewhere), cast to
    /// <paramref name="dtype"/> with −∞ replaced by that dtype's minimum (LLaDA <c>ensure_finite_</c>).
    /// </summary>
    public static Tensor KeyPaddingBias(Tensor attentionMask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var keep = attentionMask.to(ScalarType.Float32).unsqueeze(1).unsqueeze(1);      // [B,1,1,L]
        var bias = (1.0 - keep) * float.MinValue;
        if (dtype != ScalarType.Float32)
        {
            bias = bias.to(dtype);
            bias = bias.masked_fill(bias.isinf(), MinValue(dtype));
        }
        return bias.MoveToOuterDisposeScope();
    }

    /// <summary>True when a 0/1 mask has at least one zero.</summary>
    public static bool HasPadding(Tensor attentionMask)
    {
        using var zeros = attentionMask.eq(0);
        using var any = zeros.any();
        return any.item<bool>();
    }
}
