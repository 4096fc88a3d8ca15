namespace DiffusionSteering.Torch.Safetensors;

/// <summary>Copies a tensor's mapped bytes into managed arrays, checking or converting the dtype.</summary>
internal static unsafe class SafetensorsTypedCopy
{
    private const int ChunkElements = 1 << 20;

    /// <summary>Copies the tensor's elements into a new <typeparamref name="T"/>[]; the dtype must match <typeparamref name="T"/> exactly.</summary>
    public static T[] Read<T>(byte* data, SafetensorsTensorInfo info) where T : unmanaged
    {
        var expected = SafetensorsDTypes.ForClrType<T>() ?? throw new ArgumentException(
            $"{typeof(T).Name} corresponds to no safetensors dtype; read the raw bytes with GetBytes and reinterpret them.");
        if (info.DType != expected)
        {
            throw new InvalidCastException(
                $"Tensor '{info.Name}' in '{info.FilePath}' is {info.DType.ToHeaderName()}, not {expected.ToHeaderName()} " +
                $"({typeof(T).Name}).{(info.DType.IsFloatingPoint() ? " ReadAsFloat32 converts any floating-point dtype." : "")}");
        }
        var result = Allocate<T>(info);
        if (typeof(T) == typeof(bool))
        {
            // A BOOL byte other than 0/1 would make an invalid .NET bool; normalise (non-zero = true) as numpy/torch do.
            fixed (T* destination = result)
            {
                var bools = (bool*)destination;
                for (long i = 0; i < info.ElementCount; i++) bools[i] = data[i] != 0;
            }
            return result;
        }
        fixed (T* destination = result)
        {
            Buffer.MemoryCopy(data, destination, info.ByteLength, info.ByteLength);
        }
        return result;
    }

    /// <summary>Converts the elements of any floating-point dtype to a new float[].</summary>
    public static float[] ReadAsFloat32(byte* data, SafetensorsTensorInfo info)
    {
        if (!info.DType.IsFloatingPoint())
        {
            throw new InvalidCastException(
                $"Tensor '{info.Name}' in '{info.FilePath}' is {info.DType.ToHeaderName()}, not a floating-point dtype; " +
                "read it with Read<T> of the matching integer/bool type.");
        }
        var result = Allocate<float>(info);
        var elementSize = info.DType.ElementSize();
        for (long start = 0; start < result.LongLength; start += ChunkElements)
        {
            var count = (int)Math.Min(ChunkElements, result.LongLength - start);
            var source = new ReadOnlySpan<byte>(data + start * elementSize, count * elementSize);
            SafetensorsConversions.ToSingle(info.DType, source, result.AsSpan((int)start, count));
        }
        return result;
    }

    private static T[] Allocate<T>(SafetensorsTensorInfo info) where T : unmanaged
    {
        if (info.ElementCount > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"Tensor '{info.Name}' in '{info.FilePath}' has {info.ElementCount} elements, more than a managed array " +
                "can hold; use GetPointer with a lease instead.");
        }
        return GC.AllocateUninitializedArray<T>((int)info.ElementCount);
    }
}
