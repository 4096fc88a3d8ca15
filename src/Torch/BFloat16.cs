namespace DiffusionSteering.Torch;

/// <summary>A bfloat16 value: the upper 16 bits of an IEEE float32 (round-to-nearest-even on conversion).</summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>The raw 16 bits.</summary>
    public readonly ushort Bits;

    /// <summary>Wraps raw bits.</summary>
    public BFloat16(ushort bits) { Bits = bits; }

    /// <summary>Rounds a float to the nearest bfloat16 (ties to even; NaN stays NaN).</summary>
    public static BFloat16 FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return new BFloat16((ushort)((bits >> 16) | 0x40));
        var rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return new BFloat16((ushort)((bits + rounding) >> 16));
    }

    /// <summary>The exact float32 value.</summary>
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    /// <summary>Converts to float.</summary>
    public static explicit operator float(BFloat16 value) => value.ToSingle();

    /// <summary>Rounds a float to bfloat16.</summary>
    public static explicit operator BFloat16(float value) => FromSingle(value);

    /// <inheritdoc />
    public bool Equals(BFloat16 other) => Bits == other.Bits;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Bits;

    /// <inheritdoc />
    public override string ToString() => ToSingle().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
