using System.Diagnostics.CodeAnalysis;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>Sizes, header names and CLR type mapping of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    /// <summary>The header names of every supported dtype, in declaration order of <see cref="SafetensorsDType"/>.</summary>
    public static IReadOnlyList<string> SupportedHeaderNames { get; } = Array.AsReadOnly(
    [
        "F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2",
    ]);

    /// <summary>The number of bytes one element of <paramref name="dtype"/> occupies.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 or SafetensorsDType.U32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 or SafetensorsDType.U16 => 2,
        SafetensorsDType.I8 or SafetensorsDType.U8 or SafetensorsDType.BOOL
            or SafetensorsDType.F8_E4M3 or SafetensorsDType.F8_E5M2 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>Whether <paramref name="dtype"/> is a floating-point type (F64, F32, F16, BF16, F8_E4M3, F8_E5M2).</summary>
    public static bool IsFloatingPoint(this SafetensorsDType dtype) => dtype is SafetensorsDType.F64
        or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16
        or SafetensorsDType.F8_E4M3 or SafetensorsDType.F8_E5M2;

    /// <summary>The exact <c>dtype</c> string the safetensors header uses for <paramref name="dtype"/> (e.g. <c>"BF16"</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined member.</exception>
    public static string ToHeaderName(this SafetensorsDType dtype) => (int)dtype >= 0 && (int)dtype < SupportedHeaderNames.Count
        ? SupportedHeaderNames[(int)dtype]
        : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");

    /// <summary>Parses a header <c>dtype</c> string; the comparison is exact and case-sensitive, as in the format.</summary>
    /// <param name="headerName">The string from the header, e.g. <c>"F32"</c>.</param>
    /// <param name="dtype">The parsed dtype when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="headerName"/> names a supported dtype.</returns>
    public static bool TryParse([NotNullWhen(true)] string? headerName, out SafetensorsDType dtype)
    {
        for (var i = 0; i < SupportedHeaderNames.Count; i++)
        {
            if (string.Equals(SupportedHeaderNames[i], headerName, StringComparison.Ordinal))
            {
                dtype = (SafetensorsDType)i;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>
    /// The dtype whose elements the CLR type <typeparamref name="T"/> represents exactly, or <see langword="null"/>
    /// when there is none (BF16, F8_E4M3 and F8_E5M2 have no CLR type).
    /// </summary>
    /// <typeparam name="T">double, float, Half, long, int, short, sbyte, byte, bool, ushort, uint or ulong.</typeparam>
    public static SafetensorsDType? ForClrType<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(double)) return SafetensorsDType.F64;
        if (typeof(T) == typeof(float)) return SafetensorsDType.F32;
        if (typeof(T) == typeof(Half)) return SafetensorsDType.F16;
        if (typeof(T) == typeof(long)) return SafetensorsDType.I64;
        if (typeof(T) == typeof(int)) return SafetensorsDType.I32;
        if (typeof(T) == typeof(short)) return SafetensorsDType.I16;
        if (typeof(T) == typeof(sbyte)) return SafetensorsDType.I8;
        if (typeof(T) == typeof(byte)) return SafetensorsDType.U8;
        if (typeof(T) == typeof(bool)) return SafetensorsDType.BOOL;
        if (typeof(T) == typeof(ushort)) return SafetensorsDType.U16;
        if (typeof(T) == typeof(uint)) return SafetensorsDType.U32;
        if (typeof(T) == typeof(ulong)) return SafetensorsDType.U64;
        return null;
    }

    /// <summary>
    /// The position of <paramref name="dtype"/> in the Rust <c>safetensors</c> crate's <c>Dtype</c> enum, which is
    /// ordered by increasing alignment. Writers sort tensors by this rank descending, then by name, so that every
    /// tensor's data starts at a multiple of its element size.
    /// </summary>
    internal static int RustEnumRank(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BOOL => 0,
        SafetensorsDType.U8 => 1,
        SafetensorsDType.I8 => 2,
        SafetensorsDType.F8_E5M2 => 3,
        SafetensorsDType.F8_E4M3 => 4,
        SafetensorsDType.I16 => 5,
        SafetensorsDType.U16 => 6,
        SafetensorsDType.F16 => 7,
        SafetensorsDType.BF16 => 8,
        SafetensorsDType.I32 => 9,
        SafetensorsDType.U32 => 10,
        SafetensorsDType.F32 => 11,
        SafetensorsDType.F64 => 12,
        SafetensorsDType.I64 => 13,
        SafetensorsDType.U64 => 14,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };
}
