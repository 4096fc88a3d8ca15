using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Layers;

/// <summary>
/// Rotary position embedding, NeoX "rotate-half" convention (RoFormer, Su et al. 2021, Eq. 34 with the two halves of
/// the head as the rotated pairs), as LLaDA, Dream/Qwen2 and MDLM apply it.
/// </summary>
public static class Rope
{
    /// <summary>inv_freq_j = 1 / θ^(2j/d) for j &lt; d/2, in float32 (the reference op order: θ ** (arange(0,d,2)/d), then 1/x).</summary>
    public static Tensor InverseFrequencies(int headDim, double theta, Device? device = null)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rotary head dimension must be positive and even, got {headDim}");
        using var exponents = arange(0, headDim, 2, ScalarType.Float32, device) / (double)headDim;
        using var powers = pow(theta, exponents);
        return 1.0 / powers;
    }

    /// <summary>
    /// cos and sin of the angles p·inv_freq for positions <paramref name="positions"/> (float32, any leading shape),
    /// each duplicated over the two halves: result shape [..., L, d] in float32.
    /// </summary>
    public static (Tensor cos, Tensor sin) Angles(Tensor positions, Tensor inverseFrequencies)
    {
        using var scope = NewDisposeScope();
        var freqs = positions.unsqueeze(-1) * inverseFrequencies;     // [..., L, d/2]
        var emb = cat([freqs, freqs], -1);                            // [..., L, d]
        var cos = emb.cos().MoveToOuterDisposeScope();
        var sin = emb.sin().MoveToOuterDisposeScope();
        return (cos, sin);
    }

    /// <summary>rotate_half(x) = cat(−x₂, x₁) over the two halves of the last dimension.</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        using var scope = NewDisposeScope();
        var halves = x.chunk(2, -1);
        return cat([halves[1].neg(), halves[0]], -1).MoveToOuterDisposeScope();
    }

    /// <summary>x·cos + rotate_half(x)·sin (in the dtype of the operands).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        return (x * cos + RotateHalf(x) * sin).MoveToOuterDisposeScope();
    }
}
