using System.Collections.ObjectModel;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// One <c>.safetensors</c> file, memory-mapped (copy-on-write: nothing done in memory reaches the file). The header is parsed and fully validated when the file is
/// opened (see <see cref="SafetensorsRule"/> for the rules); tensor data is only touched when read.
/// </summary>
/// <remarks>
/// <para>Reading members may be called concurrently; <see cref="Dispose"/> must not race with them. Spans from
/// <see cref="GetBytes"/> and pointers from <see cref="GetPointer"/> die with the file unless a
/// <see cref="SafetensorsLease"/> (from <see cref="AcquireLease()"/>) holds the mapping. A file that is never disposed
/// is unmapped by the runtime's finalizers once it (and every lease) is unreachable, so keep it reachable while its
/// spans or pointers are in use.</para>
/// <para>Layout rules follow the Rust <c>safetensors</c> crate, which the Python library uses: by default the tensors
/// must tile the data section exactly (no gaps, no trailing bytes; <see cref="SafetensorsReadOptions.RequireFullCoverage"/>
/// relaxes that), ranges may not overlap, and the header may not exceed 100 MB. Stricter than the crate: duplicate
/// tensor names, duplicate fields and duplicate metadata keys are errors (the crate keeps the last). Zero-length
/// tensors may sit anywhere.</para>
/// </remarks>
public sealed unsafe class SafetensorsFile : ISafetensorsReader
{
    private readonly ReadOnlyDictionary<string, SafetensorsTensorInfo> _tensors;
    private readonly IReadOnlyDictionary<string, string> _metadata;
    private readonly IReadOnlyList<string> _tensorNames;
    private SafetensorsMapping? _mapping;

    private SafetensorsFile(SafetensorsMapping mapping, SafetensorsHeader header)
    {
        _mapping = mapping;
        FilePath = mapping.FilePath;
        FileLength = mapping.Length;
        DataSectionOffset = header.DataSectionOffset;
        _metadata = header.Metadata;
        _tensorNames = Array.AsReadOnly(header.TensorsByOffset.Select(t => t.Name).ToArray());
        _tensors = new ReadOnlyDictionary<string, SafetensorsTensorInfo>(
            header.TensorsByOffset.ToDictionary(t => t.Name, StringComparer.Ordinal));
    }

    /// <summary>Full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>File length in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Absolute offset where the data section starts: 8 + header length.</summary>
    public long DataSectionOffset { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            _ = Mapping;
            return _metadata;
        }
    }

    /// <summary>Tensor names in data order (by byte offset).</summary>
    /// <exception cref="ObjectDisposedException">The file was disposed.</exception>
    public IReadOnlyList<string> TensorNames
    {
        get
        {
            _ = Mapping;
            return _tensorNames;
        }
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors
    {
        get
        {
            _ = Mapping;
            return _tensors;
        }
    }

    /// <summary>Opens, maps and validates a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Validation knobs; <see cref="SafetensorsReadOptions.Default"/> when null.</param>
    /// <exception cref="SafetensorsFormatException">The file breaks a rule of the format.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="PlatformNotSupportedException">The machine is big-endian.</exception>
    public static SafetensorsFile Open(string path, SafetensorsReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; big-endian hosts are not supported.");
        options ??= SafetensorsReadOptions.Default;
        var fullPath = Path.GetFullPath(path);

        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long length, headerLength;
        try
        {
            length = stream.Length;
            Span<byte> prefix = stackalloc byte[SafetensorsHeaderParser.PrefixBytes];
            if (length >= prefix.Length) stream.ReadExactly(prefix);
            headerLength = SafetensorsHeaderParser.ReadHeaderLength(prefix, length, fullPath, options);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        var mapping = SafetensorsMapping.Create(stream, length, fullPath);
        try
        {
            var json = new ReadOnlySpan<byte>(mapping.Base + SafetensorsHeaderParser.PrefixBytes, (int)headerLength);
            var dataLength = length - SafetensorsHeaderParser.PrefixBytes - headerLength;
            var header = SafetensorsHeaderParser.Parse(json, dataLength, fullPath, options);
            return new SafetensorsFile(mapping, header);
        }
        catch
        {
            mapping.Release();
            throw;
        }
    }

    /// <inheritdoc />
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Tensors.ContainsKey(name);
    }

    /// <inheritdoc />
    public SafetensorsTensorInfo GetInfo(string name) => Find(name);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The tensor is 2 GiB or larger (use <see cref="GetPointer"/>).</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = Find(name);
        return Mapping.Span(info.FileOffset, info.ByteLength, $"Tensor '{name}'");
    }

    /// <inheritdoc />
    public IntPtr GetPointer(string name)
    {
        var info = Find(name);
        return (IntPtr)(Mapping.Base + info.FileOffset);
    }

    /// <summary>
    /// A lease that keeps this file's mapping alive until the lease is disposed, even after this object is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">This file was disposed.</exception>
    public SafetensorsLease AcquireLease()
    {
        var mapping = Mapping;
        if (!mapping.TryAddReference()) throw Disposed();
        return new SafetensorsLease(mapping, _tensors);
    }

    /// <inheritdoc />
    public SafetensorsLease AcquireLease(string name)
    {
        _ = Find(name);
        return AcquireLease();
    }

    /// <inheritdoc />
    public T[] Read<T>(string name) where T : unmanaged
    {
        var info = Find(name);
        var mapping = Mapping;
        var result = SafetensorsTypedCopy.Read<T>(mapping.Base + info.FileOffset, info);
        GC.KeepAlive(mapping); // an undisposed, otherwise unreachable file must not be unmapped mid-copy
        return result;
    }

    /// <summary>Copies an F32 tensor.</summary>
    /// <exception cref="InvalidCastException">The tensor is not F32.</exception>
    public float[] ReadFloat32(string name) => Read<float>(name);

    /// <summary>Copies an F64 tensor.</summary>
    /// <exception cref="InvalidCastException">The tensor is not F64.</exception>
    public double[] ReadFloat64(string name) => Read<double>(name);

    /// <summary>Copies an I64 tensor.</summary>
    /// <exception cref="InvalidCastException">The tensor is not I64.</exception>
    public long[] ReadInt64(string name) => Read<long>(name);

    /// <summary>Copies an I32 tensor.</summary>
    /// <exception cref="InvalidCastException">The tensor is not I32.</exception>
    public int[] ReadInt32(string name) => Read<int>(name);

    /// <summary>Copies a BOOL tensor (any non-zero byte reads as true).</summary>
    /// <exception cref="InvalidCastException">The tensor is not BOOL.</exception>
    public bool[] ReadBool(string name) => Read<bool>(name);

    /// <inheritdoc />
    public float[] ReadAsFloat32(string name)
    {
        var info = Find(name);
        var mapping = Mapping;
        var result = SafetensorsTypedCopy.ReadAsFloat32(mapping.Base + info.FileOffset, info);
        GC.KeepAlive(mapping);
        return result;
    }

    /// <summary>Releases this object's hold on the mapping (leases keep theirs). Idempotent.</summary>
    public void Dispose() => Interlocked.Exchange(ref _mapping, null)?.Release();

    /// <summary>The path and tensor count.</summary>
    public override string ToString() => $"{FilePath} ({_tensors.Count} tensors)";

    private SafetensorsMapping Mapping => Volatile.Read(ref _mapping) ?? throw Disposed();

    private ObjectDisposedException Disposed() =>
        new(nameof(SafetensorsFile), $"The safetensors file '{FilePath}' has been disposed.");

    private SafetensorsTensorInfo Find(string name)
    {
        _ = Mapping;
        return TensorLookup.Find(_tensors, name, $"safetensors file '{FilePath}'");
    }
}
