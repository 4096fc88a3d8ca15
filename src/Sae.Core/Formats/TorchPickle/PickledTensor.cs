using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// A tensor read from a <c>torch.save</c> archive: a strided view (<see cref="Shape"/>, <see cref="Strides"/>,
/// <see cref="StorageOffset"/>) into a raw little-endian storage record, exactly as PyTorch saved it.
/// </summary>
/// <remarks>
/// Views that PyTorch saves without copying (transposes, slices, expanded tensors with stride 0) are kept as views;
/// <see cref="ToContiguousBytes"/> and the typed helpers return the elements in row-major (C) order. Several tensors
/// may share one storage. Instances are immutable and safe to share between threads.
/// </remarks>
public sealed class PickledTensor
{
    private readonly TorchStorage _storage;
    private readonly long[] _shape;
    private readonly long[] _strides;

    private PickledTensor(TorchDType dtype, long[] shape, long[] strides, long storageOffset, TorchStorage storage,
        bool requiresGrad, long elementCount)
    {
        DType = dtype;
        _shape = shape;
        _strides = strides;
        StorageOffset = storageOffset;
        _storage = storage;
        RequiresGrad = requiresGrad;
        ElementCount = elementCount;
        Shape = new ReadOnlyCollection<long>(shape);
        Strides = new ReadOnlyCollection<long>(strides);
    }

    /// <summary>The element type.</summary>
    public TorchDType DType { get; }

    /// <summary>The size of each dimension; empty for a 0-d (scalar) tensor.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The step, in elements, between neighbours along each dimension of the storage.</summary>
    public IReadOnlyList<long> Strides { get; }

    /// <summary>The index, in elements, of the tensor's first element within its storage.</summary>
    public long StorageOffset { get; }

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The key of the storage record (<c>data/&lt;key&gt;</c>) the tensor views.</summary>
    public string StorageKey => _storage.Key;

    /// <summary>The device the tensor was saved from, e.g. <c>"cpu"</c> or <c>"cuda:0"</c>; the data is read regardless.</summary>
    public string Location => _storage.Location;

    /// <summary>Whether the tensor was saved with <c>requires_grad=True</c> (for example an <c>nn.Parameter</c>).</summary>
    public bool RequiresGrad { get; }

    /// <summary>Whether the view is row-major contiguous (strides of size-1 dimensions are ignored, as in PyTorch).</summary>
    public bool IsContiguous
    {
        get
        {
            if (ElementCount == 0) return true;
            long expected = 1;
            for (int d = _shape.Length - 1; d >= 0; d--)
            {
                if (_shape[d] != 1 && _strides[d] != expected) return false;
                expected *= _shape[d];
            }
            return true;
        }
    }

    /// <summary>
    /// Validates a view and creates the tensor. Sizes, strides and the offset must be non-negative, the view must lie
    /// inside the storage, and its contiguous copy must fit in one .NET array.
    /// </summary>
    /// <exception cref="TorchCheckpointFormatException">The view is inconsistent with the storage.</exception>
    internal static PickledTensor Create(TorchDType dtype, long[] shape, long[] strides, long storageOffset,
        TorchStorage storage, bool requiresGrad)
    {
        if (shape.Length != strides.Length)
        {
            throw new TorchCheckpointFormatException(
                $"tensor on {storage} has {shape.Length} sizes but {strides.Length} strides");
        }
        if (storageOffset < 0)
        {
            throw new TorchCheckpointFormatException($"tensor on {storage} has negative storage offset {storageOffset}");
        }

        int elementSize = dtype.ElementSize();
        long count = 1;
        long lastIndex = storageOffset;
        try
        {
            for (int d = 0; d < shape.Length; d++)
            {
                if (shape[d] < 0 || strides[d] < 0)
                {
                    throw new TorchCheckpointFormatException(
                        $"tensor on {storage} has a negative size or stride ({Format(shape)}, strides {Format(strides)})");
                }
                count = checked(count * shape[d]);
            }
            if (count > 0)
            {
                for (int d = 0; d < shape.Length; d++) lastIndex = checked(lastIndex + (shape[d] - 1) * strides[d]);
                long endByte = checked((lastIndex + 1) * elementSize);
                if (endByte > storage.Bytes.Length)
                {
                    throw new TorchCheckpointFormatException(
                        $"{dtype.TorchName()} tensor {Format(shape)} with strides {Format(strides)} at offset " +
                        $"{storageOffset} needs {endByte} bytes but {storage} is only {storage.Bytes.Length} bytes");
                }
            }
            if (checked(count * elementSize) > Array.MaxLength)
            {
                throw new TorchCheckpointFormatException(
                    $"{dtype.TorchName()} tensor {Format(shape)} has {count} elements, too many to materialise in one array");
            }
        }
        catch (OverflowException ex)
        {
            throw new TorchCheckpointFormatException(
                $"tensor on {storage} has sizes {Format(shape)} and strides {Format(strides)} that overflow 64 bits", ex);
        }

        return new PickledTensor(dtype, shape, strides, storageOffset, storage, requiresGrad, count);
    }

    /// <summary>A copy of this tensor that reports <paramref name="requiresGrad"/> (used for <c>nn.Parameter</c>).</summary>
    internal PickledTensor WithRequiresGrad(bool requiresGrad) =>
        requiresGrad == RequiresGrad
            ? this
            : new PickledTensor(DType, _shape, _strides, StorageOffset, _storage, requiresGrad, ElementCount);

    /// <summary>The elements in row-major order as little-endian bytes (<see cref="ElementCount"/> × element size).</summary>
    /// <returns>A new array; strides and the storage offset have been applied.</returns>
    public byte[] ToContiguousBytes()
    {
        int elementSize = DType.ElementSize();
        var result = new byte[ElementCount * elementSize];
        if (ElementCount == 0) return result;

        byte[] source = _storage.Bytes;
        if (IsContiguous)
        {
            Buffer.BlockCopy(source, (int)(StorageOffset * elementSize), result, 0, result.Length);
            return result;
        }

        int rank = _shape.Length;
        long innerSize = _shape[rank - 1];
        long innerStride = _strides[rank - 1];
        long rows = ElementCount / innerSize;
        var index = new long[rank - 1];
        int target = 0;
        for (long row = 0; row < rows; row++)
        {
            long first = StorageOffset;
            for (int d = 0; d < rank - 1; d++) first += index[d] * _strides[d];

            if (innerStride == 1)
            {
                int length = (int)(innerSize * elementSize);
                Buffer.BlockCopy(source, (int)(first * elementSize), result, target, length);
                target += length;
            }
            else
            {
                for (long j = 0; j < innerSize; j++)
                {
                    source.AsSpan((int)((first + j * innerStride) * elementSize), elementSize)
                        .CopyTo(result.AsSpan(target, elementSize));
                    target += elementSize;
                }
            }

            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < _shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>The elements in row-major order as <see cref="float"/>, converting float64, float16 and bfloat16.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not floating-point.</exception>
    public float[] ToFloat32()
    {
        if (!DType.IsFloatingPoint()) throw NotConvertible("float32", "floating-point");
        byte[] bytes = ToContiguousBytes();
        var values = new float[ElementCount];
        switch (DType)
        {
            case TorchDType.Float32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
                else for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                break;
            case TorchDType.Float64:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8));
                break;
            case TorchDType.Float16:
                for (int i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
                break;
            case TorchDType.BFloat16:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16);
                }
                break;
        }
        return values;
    }

    /// <summary>The elements in row-major order as <see cref="double"/> (exact for every floating-point dtype).</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not floating-point.</exception>
    public double[] ToFloat64()
    {
        if (DType == TorchDType.Float64)
        {
            byte[] bytes = ToContiguousBytes();
            var values = new double[ElementCount];
            for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8));
            return values;
        }
        if (!DType.IsFloatingPoint()) throw NotConvertible("float64", "floating-point");
        return Array.ConvertAll(ToFloat32(), v => (double)v);
    }

    /// <summary>The elements in row-major order as <see cref="long"/>, widening int32/int16/int8/uint8/bool.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values (bool gives 0 or 1).</returns>
    /// <exception cref="InvalidOperationException">The tensor is floating-point.</exception>
    public long[] ToInt64()
    {
        if (DType.IsFloatingPoint()) throw NotConvertible("int64", "integer or bool");
        byte[] bytes = ToContiguousBytes();
        var values = new long[ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = DType switch
            {
                TorchDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8)),
                TorchDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4)),
                TorchDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(i * 2)),
                TorchDType.Int8 => (sbyte)bytes[i],
                TorchDType.Bool => bytes[i] != 0 ? 1 : 0,
                _ => bytes[i],
            };
        }
        return values;
    }

    /// <summary>The value of a one-element floating-point tensor (a 0-d scalar such as <c>threshold</c>).</summary>
    /// <returns>The single element as <see cref="float"/>.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not floating-point or has other than one element.</exception>
    public float ToScalarFloat32()
    {
        RequireSingleElement();
        return ToFloat32()[0];
    }

    /// <summary>The value of a one-element integer or bool tensor (a 0-d scalar such as <c>k</c>).</summary>
    /// <returns>The single element as <see cref="long"/>.</returns>
    /// <exception cref="InvalidOperationException">The tensor is floating-point or has other than one element.</exception>
    public long ToScalarInt64()
    {
        RequireSingleElement();
        return ToInt64()[0];
    }

    /// <summary>A summary such as <c>float32[64, 256]</c>.</summary>
    /// <returns>The dtype and shape.</returns>
    public override string ToString() => DType.TorchName() + Format(_shape);

    private void RequireSingleElement()
    {
        if (ElementCount != 1)
        {
            throw new InvalidOperationException($"Tensor {this} has {ElementCount} elements; a scalar has exactly one.");
        }
    }

    private InvalidOperationException NotConvertible(string target, string required) =>
        new($"Tensor {this} cannot be read as {target}: that needs a {required} dtype.");

    private static string Format(long[] values) => "[" + string.Join(", ", values) + "]";
}
