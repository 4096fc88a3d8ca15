using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>Bit-exact conversions between the format's floating-point encodings and <see cref="float"/>.</summary>
public static class SafetensorsConversions
{
    /// <summary>Widens a bfloat16 bit pattern to float (exact: bfloat16 is the upper half of a binary32).</summary>
    public static float BFloat16BitsToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>
    /// Narrows a float to bfloat16 bits with round-to-nearest-even, as <c>torch.Tensor.to(torch.bfloat16)</c> does;
    /// NaN stays NaN (quiet, sign kept).
    /// </summary>
    public static ushort SingleToBFloat16Bits(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Widens an IEEE binary16 bit pattern to float (exact).</summary>
    public static float HalfBitsToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>Narrows a float to IEEE binary16 bits (round-to-nearest-even, overflow to infinity).</summary>
    public static ushort SingleToHalfBits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>
    /// Widens an <c>F8_E4M3</c> ("e4m3fn") byte to float (exact): 1 sign, 4 exponent (bias 7) and 3 mantissa bits,
    /// subnormals when the exponent is 0, no infinities, NaN when exponent and mantissa are all ones.
    /// </summary>
    public static float Float8E4M3BitsToSingle(byte bits)
    {
        var negative = (bits & 0x80) != 0;
        var exponent = (bits >> 3) & 0xF;
        var mantissa = bits & 0x7;
        float magnitude;
        if (exponent == 0xF && mantissa == 0x7) magnitude = float.NaN;
        else if (exponent == 0) magnitude = MathF.ScaleB(mantissa, -9); // mantissa/8 · 2^-6
        else magnitude = MathF.ScaleB(8 + mantissa, exponent - 7 - 3);  // (1 + mantissa/8) · 2^(e-7)
        return negative ? -magnitude : magnitude;
    }

    /// <summary>
    /// Widens an <c>F8_E5M2</c> byte to float (exact): it is the upper byte of an IEEE binary16, with infinities and
    /// NaNs.
    /// </summary>
    public static float Float8E5M2BitsToSingle(byte bits) => HalfBitsToSingle((ushort)(bits << 8));

    /// <summary>
    /// Converts little-endian elements of a floating-point <paramref name="dtype"/> to float. F32 is copied, F64 is
    /// rounded to nearest, the narrower types widen exactly.
    /// </summary>
    /// <param name="dtype">F64, F32, F16, BF16, F8_E4M3 or F8_E5M2.</param>
    /// <param name="source">The raw bytes: <c>destination.Length × ElementSize(dtype)</c> of them.</param>
    /// <param name="destination">Receives one float per element.</param>
    /// <exception cref="ArgumentException">The lengths disagree.</exception>
    /// <exception cref="NotSupportedException"><paramref name="dtype"/> is not floating-point.</exception>
    public static void ToSingle(SafetensorsDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (!dtype.IsFloatingPoint())
        {
            throw new NotSupportedException(
                $"{dtype.ToHeaderName()} is not a floating-point dtype; read it with Read<T> instead of converting to float.");
        }
        if ((long)destination.Length * dtype.ElementSize() != source.Length)
        {
            throw new ArgumentException(
                $"{source.Length} bytes of {dtype.ToHeaderName()} do not make {destination.Length} elements.", nameof(source));
        }
        switch (dtype)
        {
            case SafetensorsDType.F32:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case SafetensorsDType.F64:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(i * 8)..]);
                break;
            case SafetensorsDType.F16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = HalfBitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case SafetensorsDType.BF16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BFloat16BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case SafetensorsDType.F8_E4M3:
                for (var i = 0; i < destination.Length; i++) destination[i] = Float8E4M3BitsToSingle(source[i]);
                break;
            case SafetensorsDType.F8_E5M2:
                for (var i = 0; i < destination.Length; i++) destination[i] = Float8E5M2BitsToSingle(source[i]);
                break;
        }
    }

    /// <summary>
    /// Encodes floats as little-endian elements of <paramref name="dtype"/> (F64 exactly; F32 copied; F16 and BF16
    /// rounded to nearest even), e.g. to write a BF16 tensor with <see cref="SafetensorsWriter"/>.
    /// </summary>
    /// <param name="source">The values.</param>
    /// <param name="dtype">F64, F32, F16 or BF16.</param>
    /// <param name="destination">Receives <c>source.Length × ElementSize(dtype)</c> bytes.</param>
    /// <exception cref="ArgumentException">The lengths disagree.</exception>
    /// <exception cref="NotSupportedException"><paramref name="dtype"/> is not F64, F32, F16 or BF16.</exception>
    public static void FromSingle(ReadOnlySpan<float> source, SafetensorsDType dtype, Span<byte> destination)
    {
        if (dtype is not (SafetensorsDType.F64 or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw new NotSupportedException($"Encoding floats as {dtype.ToHeaderName()} is not supported (F64, F32, F16, BF16 are).");
        if ((long)source.Length * dtype.ElementSize() != destination.Length)
        {
            throw new ArgumentException(
                $"{source.Length} floats as {dtype.ToHeaderName()} need {(long)source.Length * dtype.ElementSize()} bytes, " +
                $"not {destination.Length}.", nameof(destination));
        }
        switch (dtype)
        {
            case SafetensorsDType.F32:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case SafetensorsDType.F64:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * 8)..], source[i]);
                break;
            case SafetensorsDType.F16:
                for (var i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], SingleToHalfBits(source[i]));
                break;
            case SafetensorsDType.BF16:
                for (var i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], SingleToBFloat16Bits(source[i]));
                break;
        }
    }
}
