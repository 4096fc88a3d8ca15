namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>The element types a <see cref="PickledTensor"/> read from a <c>torch.save</c> archive can have.</summary>
/// <remarks>Each member names the matching <c>torch.dtype</c>; elements are stored little-endian.</remarks>
public enum TorchDType
{
    /// <summary><c>torch.float32</c> (<c>FloatStorage</c>): IEEE 754 single precision, 4 bytes.</summary>
    Float32,

    /// <summary><c>torch.float64</c> (<c>DoubleStorage</c>): IEEE 754 double precision, 8 bytes.</summary>
    Float64,

    /// <summary><c>torch.float16</c> (<c>HalfStorage</c>): IEEE 754 half precision, 2 bytes.</summary>
    Float16,

    /// <summary><c>torch.bfloat16</c> (<c>BFloat16Storage</c>): the top 16 bits of a float32, 2 bytes.</summary>
    BFloat16,

    /// <summary><c>torch.int64</c> (<c>LongStorage</c>): signed 64-bit integer.</summary>
    Int64,

    /// <summary><c>torch.int32</c> (<c>IntStorage</c>): signed 32-bit integer.</summary>
    Int32,

    /// <summary><c>torch.int16</c> (<c>ShortStorage</c>): signed 16-bit integer.</summary>
    Int16,

    /// <summary><c>torch.int8</c> (<c>CharStorage</c>): signed 8-bit integer.</summary>
    Int8,

    /// <summary><c>torch.uint8</c> (<c>ByteStorage</c>, also the element type of <c>UntypedStorage</c>): unsigned byte.</summary>
    UInt8,

    /// <summary><c>torch.bool</c> (<c>BoolStorage</c>): one byte, 0 or 1.</summary>
    Bool,
}
