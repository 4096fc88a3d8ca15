namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// The element types a safetensors header can name. Each member's name is exactly the format's <c>dtype</c> string
/// (<see cref="SafetensorsDTypes.ToHeaderName"/> and <see cref="SafetensorsDTypes.TryParse"/> convert).
/// </summary>
/// <remarks>
/// The sub-byte and exotic types of recent safetensors releases (<c>F4</c>, <c>F6_*</c>, <c>F8_E8M0</c>,
/// <c>F8_*FNUZ</c>, <c>C64</c>) are not supported: a header naming them is rejected with
/// <see cref="SafetensorsRule.UnknownDType"/>.
/// </remarks>
public enum SafetensorsDType
{
    /// <summary>IEEE 754 binary64 (<c>F64</c>, 8 bytes).</summary>
    F64,

    /// <summary>IEEE 754 binary32 (<c>F32</c>, 4 bytes).</summary>
    F32,

    /// <summary>IEEE 754 binary16 (<c>F16</c>, 2 bytes).</summary>
    F16,

    /// <summary>bfloat16: the upper half of a binary32 (<c>BF16</c>, 2 bytes).</summary>
    BF16,

    /// <summary>Signed 64-bit integer (<c>I64</c>).</summary>
    I64,

    /// <summary>Signed 32-bit integer (<c>I32</c>).</summary>
    I32,

    /// <summary>Signed 16-bit integer (<c>I16</c>).</summary>
    I16,

    /// <summary>Signed 8-bit integer (<c>I8</c>).</summary>
    I8,

    /// <summary>Unsigned 8-bit integer (<c>U8</c>).</summary>
    U8,

    /// <summary>Boolean stored as one byte, 0 or 1 (<c>BOOL</c>).</summary>
    BOOL,

    /// <summary>Unsigned 16-bit integer (<c>U16</c>).</summary>
    U16,

    /// <summary>Unsigned 32-bit integer (<c>U32</c>).</summary>
    U32,

    /// <summary>Unsigned 64-bit integer (<c>U64</c>).</summary>
    U64,

    /// <summary>8-bit float, 4 exponent and 3 mantissa bits, no infinities (<c>F8_E4M3</c>, "e4m3fn").</summary>
    F8_E4M3,

    /// <summary>8-bit float, 5 exponent and 2 mantissa bits (<c>F8_E5M2</c>).</summary>
    F8_E5M2,
}
