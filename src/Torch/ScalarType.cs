namespace DiffusionSteering.Torch;

/// <summary>Element types of tensors; the values are libtorch's <c>c10::ScalarType</c> codes (TorchSharp's names).</summary>
public enum ScalarType : sbyte
{
    /// <summary>8-bit unsigned integer (uint8).</summary>
    Byte = 0,
    /// <summary>8-bit signed integer.</summary>
    Int8 = 1,
    /// <summary>16-bit signed integer.</summary>
    Int16 = 2,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 3,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 4,
    /// <summary>IEEE half precision.</summary>
    Float16 = 5,
    /// <summary>IEEE single precision.</summary>
    Float32 = 6,
    /// <summary>IEEE double precision.</summary>
    Float64 = 7,
    /// <summary>Boolean.</summary>
    Bool = 11,
    /// <summary>bfloat16 (8-bit exponent, 7-bit mantissa).</summary>
    BFloat16 = 15,
}

/// <summary>Facts about <see cref="ScalarType"/> values.</summary>
public static class ScalarTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown scalar type"),
    };

    /// <summary>True for float16, bfloat16, float32 and float64.</summary>
    public static bool IsFloatingPoint(this ScalarType type) =>
        type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>True for the integer types (not bool).</summary>
    public static bool IsInteger(this ScalarType type) =>
        type is ScalarType.Byte or ScalarType.Int8 or ScalarType.Int16 or ScalarType.Int32 or ScalarType.Int64;

    /// <summary>The scalar type whose .NET element type is <typeparamref name="T"/>.</summary>
    public static ScalarType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => ScalarType.Float32,
        var t when t == typeof(double) => ScalarType.Float64,
        var t when t == typeof(long) => ScalarType.Int64,
        var t when t == typeof(int) => ScalarType.Int32,
        var t when t == typeof(short) => ScalarType.Int16,
        var t when t == typeof(sbyte) => ScalarType.Int8,
        var t when t == typeof(byte) => ScalarType.Byte,
        var t when t == typeof(bool) => ScalarType.Bool,
        var t when t == typeof(Half) => ScalarType.Float16,
        var t when t == typeof(BFloat16) => ScalarType.BFloat16,
        _ => throw new NotSupportedException($"no tensor element type for {typeof(T)}"),
    };
}
