namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>Size and naming helpers for <see cref="TorchDType"/>.</summary>
public static class TorchDTypeExtensions
{
    /// <summary>The number of bytes one element of <paramref name="dtype"/> occupies.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static int ElementSize(this TorchDType dtype) => dtype switch
    {
        TorchDType.Float64 or TorchDType.Int64 => 8,
        TorchDType.Float32 or TorchDType.Int32 => 4,
        TorchDType.Float16 or TorchDType.BFloat16 or TorchDType.Int16 => 2,
        TorchDType.Int8 or TorchDType.UInt8 or TorchDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown torch dtype."),
    };

    /// <summary>Whether <paramref name="dtype"/> is a floating-point type (float32, float64, float16, bfloat16).</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns><see langword="true"/> for the four floating-point types.</returns>
    public static bool IsFloatingPoint(this TorchDType dtype) =>
        dtype is TorchDType.Float32 or TorchDType.Float64 or TorchDType.Float16 or TorchDType.BFloat16;

    /// <summary>The PyTorch spelling of <paramref name="dtype"/>, e.g. <c>"float32"</c> or <c>"bfloat16"</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The name after <c>torch.</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string TorchName(this TorchDType dtype) => dtype switch
    {
        TorchDType.Float32 => "float32",
        TorchDType.Float64 => "float64",
        TorchDType.Float16 => "float16",
        TorchDType.BFloat16 => "bfloat16",
        TorchDType.Int64 => "int64",
        TorchDType.Int32 => "int32",
        TorchDType.Int16 => "int16",
        TorchDType.Int8 => "int8",
        TorchDType.UInt8 => "uint8",
        TorchDType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown torch dtype."),
    };
}
