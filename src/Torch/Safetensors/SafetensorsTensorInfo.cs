using System.Collections.ObjectModel;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>One validated header entry of a safetensors file: name, dtype, shape and where its bytes lie.</summary>
/// <remarks>Immutable. The data is little-endian and C-contiguous (row-major), as the format prescribes.</remarks>
public sealed class SafetensorsTensorInfo
{
    private readonly long[] _shape;

    /// <summary>Creates an entry. Readers create these after validation; the arguments are not re-validated here.</summary>
    /// <param name="name">The tensor name (the header key).</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions (copied); empty for a scalar.</param>
    /// <param name="dataOffset">Byte offset of the data relative to the start of the data section (<c>data_offsets[0]</c>).</param>
    /// <param name="byteLength">Number of data bytes (<c>data_offsets[1] - data_offsets[0]</c>).</param>
    /// <param name="dataSectionOffset">Absolute file offset of the data section (8 + header length).</param>
    /// <param name="filePath">The full path of the file holding the tensor.</param>
    public SafetensorsTensorInfo(
        string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, long dataOffset, long byteLength,
        long dataSectionOffset, string filePath)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(filePath);
        Name = name;
        DType = dtype;
        _shape = shape.ToArray();
        Shape = Array.AsReadOnly(_shape);
        DataOffset = dataOffset;
        ByteLength = byteLength;
        FileOffset = dataSectionOffset + dataOffset;
        FilePath = filePath;
        long count = 1;
        foreach (var d in _shape) count *= d;
        ElementCount = count;
    }

    /// <summary>The tensor name (the header key).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public ReadOnlyCollection<long> Shape { get; }

    /// <summary>The dimensions as a span (no allocation), e.g. to pin and pass to native code.</summary>
    public ReadOnlySpan<long> ShapeSpan => _shape;

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Product of the dimensions (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>Byte offset of the data relative to the start of the data section (<c>data_offsets[0]</c>).</summary>
    public long DataOffset { get; }

    /// <summary>Number of data bytes: <see cref="ElementCount"/> × element size.</summary>
    public long ByteLength { get; }

    /// <summary>Absolute byte offset of the data in the file (8 + header length + <see cref="DataOffset"/>).</summary>
    public long FileOffset { get; }

    /// <summary>The full path of the file that holds this tensor (for a sharded checkpoint: its shard).</summary>
    public string FilePath { get; }

    /// <summary>A fresh copy of the dimensions.</summary>
    public long[] GetShape() => (long[])_shape.Clone();

    /// <summary>E.g. <c>model.wte.weight: F32 [512, 64] @ 0 (131072 bytes)</c>.</summary>
    public override string ToString() =>
        $"{Name}: {DType.ToHeaderName()} [{string.Join(", ", _shape)}] @ {DataOffset} ({ByteLength} bytes)";
}
