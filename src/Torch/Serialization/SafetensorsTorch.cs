using DiffusionSteering.Torch.Safetensors;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Serialization;

/// <summary>Safetensors ⇄ tensors: load a stored tensor (zero-copy where possible) and save tensors to a file.</summary>
public static class SafetensorsTorch
{
    /// <summary>The tensor element type of a safetensors dtype.</summary>
    public static ScalarType ToScalarType(SafetensorsDType dtype, string tensorName = "") => dtype switch
    {
        SafetensorsDType.F64 => ScalarType.Float64,
        SafetensorsDType.F32 => ScalarType.Float32,
        SafetensorsDType.F16 => ScalarType.Float16,
        SafetensorsDType.BF16 => ScalarType.BFloat16,
        SafetensorsDType.I64 => ScalarType.Int64,
        SafetensorsDType.I32 => ScalarType.Int32,
        SafetensorsDType.I16 => ScalarType.Int16,
        SafetensorsDType.I8 => ScalarType.Int8,
        SafetensorsDType.U8 => ScalarType.Byte,
        SafetensorsDType.BOOL => ScalarType.Bool,
        _ => throw new NotSupportedException($"tensor '{tensorName}': safetensors dtype {dtype.ToHeaderName()} has no tensor element type here"),
    };

    /// <summary>The safetensors dtype of a tensor element type.</summary>
    public static SafetensorsDType ToSafetensorsDType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => SafetensorsDType.F64,
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.Float16 => SafetensorsDType.F16,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Int64 => SafetensorsDType.I64,
        ScalarType.Int32 => SafetensorsDType.I32,
        ScalarType.Int16 => SafetensorsDType.I16,
        ScalarType.Int8 => SafetensorsDType.I8,
        ScalarType.Byte => SafetensorsDType.U8,
        ScalarType.Bool => SafetensorsDType.BOOL,
        _ => throw new NotSupportedException($"no safetensors dtype for {dtype}"),
    };

    /// <summary>
    /// Loads one tensor. With no conversion (same dtype, CPU), <paramref name="copy"/> false and an element-aligned
    /// address, the tensor views the file's memory mapping directly (zero-copy: nothing is read until the tensor is
    /// used, and the mapping stays alive while the tensor does). The mapping is copy-on-write, so such a tensor may be
    /// written: written pages become private to this process and the file never changes. Otherwise the bytes are
    /// converted into a new tensor of <paramref name="dtype"/> on <paramref name="device"/> through a mapping of just
    /// this tensor that is unmapped right after, so a load that copies tensor by tensor keeps at most one tensor's
    /// file pages resident.
    /// </summary>
    public static Tensor LoadTensor(this ISafetensorsReader reader, string name, ScalarType? dtype = null, Device? device = null, bool copy = true)
    {
        var info = reader.GetInfo(name);
        var stored = ToScalarType(info.DType, name);
        var shape = info.GetShape();
        var target = dtype ?? stored;
        var onCpu = device is null || device.type == DeviceType.CPU;
        if (info.ElementCount == 0)
        {
            using var empty = zeros(shape, stored);
            return onCpu ? empty.to(target, copy: true) : empty.to(device!, target, copy: true);
        }
        var lease = reader.AcquireLease(name);
        try
        {
            if (!copy && target == stored && onCpu && lease.GetPointer(name) % stored.ElementSize() == 0)
                return from_blob(lease.GetPointer(name), shape, stored, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        using (lease)
        using (var range = lease.MapTransient(name))
        using (var view = from_blob(range.Pointer, shape, stored))
        {
            return onCpu ? view.to(target, copy: true) : view.to(device!, target, copy: true);
        }
    }

    /// <summary>Loads every tensor of a file (or sharded checkpoint) into new tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path, ScalarType? dtype = null, Device? device = null)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in checkpoint.Tensors.Keys)
        {
            var stored = checkpoint.Tensors[name].DType;
            var convert = dtype is { } d && ToScalarType(stored, name).IsFloatingPoint() ? d : (ScalarType?)null;
            result[name] = checkpoint.LoadTensor(name, convert, device);
        }
        return result;
    }

    /// <summary>Writes tensors (any device or layout; copied to contiguous CPU memory) atomically to a file.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafetensorsWriter();
        if (metadata is not null)
            foreach (var (k, v) in metadata) writer.SetMetadata(k, v);
        foreach (var (name, t) in tensors)
        {
            var dtype = t.dtype;
            var bytes = new byte[t.numel() * dtype.ElementSize()];
            CopyBytes(t, bytes);
            writer.Add(name, ToSafetensorsDType(dtype), t.shape, bytes);
        }
        writer.Save(path);
    }

    private static void CopyBytes(Tensor t, byte[] destination)
    {
        switch (t.dtype)
        {
            case ScalarType.Float32: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(destination.AsSpan())); break;
            case ScalarType.Float64: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(destination.AsSpan())); break;
            case ScalarType.Float16: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(destination.AsSpan())); break;
            case ScalarType.BFloat16: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, BFloat16>(destination.AsSpan())); break;
            case ScalarType.Int64: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(destination.AsSpan())); break;
            case ScalarType.Int32: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(destination.AsSpan())); break;
            case ScalarType.Int16: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(destination.AsSpan())); break;
            case ScalarType.Int8: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(destination.AsSpan())); break;
            case ScalarType.Byte: t.CopyTo(destination.AsSpan()); break;
            case ScalarType.Bool: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, bool>(destination.AsSpan())); break;
            default: throw new NotSupportedException($"cannot save dtype {t.dtype}");
        }
    }
}
