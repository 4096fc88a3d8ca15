using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>A batch after forward (masking) corruption.</summary>
/// <param name="NoisyIds">The corrupted ids [B, L]: masked positions hold the mask id.</param>
/// <param name="MaskedPositions">Which positions were masked [B, L] (bool).</param>
/// <param name="MaskRate">The mask probability t of each row [B] (float32).</param>
public sealed record CorruptedBatch(Tensor NoisyIds, Tensor MaskedPositions, Tensor MaskRate) : IDisposable
{
    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        NoisyIds.Dispose();
        MaskedPositions.Dispose();
        MaskRate.Dispose();
    }
}

/// <summary>
/// The forward process of masked diffusion: each token is masked independently with probability t (LLaDA, Nie et al.
/// 2025, Eq. 2; DLM-Scope Eq. 7's q_t), never at protected positions (BOS, prompt, padding).
/// </summary>
public static class MaskCorruption
{
    /// <summary>Draws one mask rate per row, t ~ U[tMin, tMax] (float32 [B]).</summary>
    public static Tensor SampleMaskRates(long batch, double tMin, double tMax, Generator? generator = null, Device? device = null)
    {
        if (!(tMin >= 0 && tMax <= 1 && tMin <= tMax)) throw new ArgumentOutOfRangeException(nameof(tMin), $"need 0 ≤ tMin ≤ tMax ≤ 1, got [{tMin}, {tMax}]");
        using var scope = NewDisposeScope();
        return (rand([batch], ScalarType.Float32, device, generator) * (tMax - tMin) + tMin).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Masks each token of <paramref name="cleanIds"/> [B, L] with probability <paramref name="maskRate"/>[b] [B], except at
    /// <paramref name="protectedPositions"/> ([B, L] or [L] bool, optional).
    /// </summary>
    public static CorruptedBatch Corrupt(Tensor cleanIds, Tensor maskRate, long maskTokenId, Tensor? protectedPositions = null, Generator? generator = null)
    {
        var shape = cleanIds.shape;
        if (shape.Length != 2) throw new ArgumentException($"ids must be [batch, length], got [{string.Join(", ", shape)}]");
        if (!maskRate.shape.SequenceEqual(new[] { shape[0] })) throw new ArgumentException($"mask rate must be [{shape[0]}], got [{string.Join(", ", maskRate.shape)}]");
        using var scope = NewDisposeScope();
        var draws = rand(shape, ScalarType.Float32, cleanIds.device, generator);
        var masked = draws.lt(maskRate.to(cleanIds.device, ScalarType.Float32).unsqueeze(1));
        if (protectedPositions is not null)
        {
            if (protectedPositions.dtype != ScalarType.Bool) throw new ArgumentException("protected positions must be a bool tensor");
            masked = masked.logical_and(protectedPositions.logical_not());
        }
        var noisy = cleanIds.masked_fill(masked, maskTokenId);
        return new CorruptedBatch(
            noisy.MoveToOuterDisposeScope(), masked.MoveToOuterDisposeScope(),
            maskRate.to(cleanIds.device, ScalarType.Float32).clone().MoveToOuterDisposeScope());
    }

    /// <summary>A protection mask [L] that is true on the first <paramref name="count"/> positions (BOS or a prompt).</summary>
    public static Tensor ProtectPrefix(long length, long count, Device? device = null)
    {
        using var scope = NewDisposeScope();
        return arange(0, length, ScalarType.Int64, device).lt(count).MoveToOuterDisposeScope();
    }
}
