using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Runtime.InteropServices;
using System.Text;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// Collects named tensors and string metadata, then writes a safetensors file or stream.
/// </summary>
/// <remarks>
/// <para>Layout matches the Rust crate's <c>serialize</c> (which Python's <c>save_file</c> calls): tensors are stored
/// sorted by dtype alignment, largest first (the crate's enum order U64, I64, F64, F32, U32, I32, BF16, F16, U16, I16,
/// F8_E4M3, F8_E5M2, I8, U8, BOOL), then by name (UTF-8 byte order), contiguously from offset 0, so every tensor is
/// aligned to its element size; the header is compact JSON with <c>__metadata__</c> first (omitted when empty; keys
/// sorted here, where the crate's order is arbitrary), then the tensors in data order, padded with spaces to a
/// multiple of 8 bytes. For ordinary names this reproduces <c>save_file</c>'s bytes exactly.</para>
/// <para>Data given as memory or a callback is read only when writing; keep it unchanged until then.</para>
/// </remarks>
public sealed class SafetensorsWriter
{
    private const long MaxHeaderBytes = 100_000_000;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, Pending> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Number of tensors added.</summary>
    public int Count => _tensors.Count;

    /// <summary>The metadata that will be written as <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata => new ReadOnlyDictionary<string, string>(_metadata);

    /// <summary>Sets (or replaces) a <c>__metadata__</c> entry.</summary>
    /// <returns>This writer.</returns>
    public SafetensorsWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckText(key, nameof(key));
        CheckText(value, nameof(value));
        _metadata[key] = value;
        return this;
    }

    /// <summary>Adds a tensor from raw little-endian, C-contiguous bytes.</summary>
    /// <param name="name">Unique tensor name (not <c>__metadata__</c>).</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (each ≥ 0; empty for a scalar).</param>
    /// <param name="data">Exactly shape product × element size bytes; read when the file is written.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">Bad name, duplicate name, negative dimension or wrong byte count.</exception>
    public SafetensorsWriter Add(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        var byteLength = CheckEntry(name, dtype, shape);
        if (data.Length != byteLength)
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] of {dtype.ToHeaderName()} needs " +
                $"{byteLength} bytes, but {data.Length} were given.", nameof(data));
        }
        _tensors.Add(name, new Pending(name, dtype, shape.ToArray(), byteLength, data, null));
        return this;
    }

    /// <summary>
    /// Adds a tensor whose bytes a callback writes when the file is written (e.g. streaming from native memory).
    /// The callback must write exactly shape product × element size bytes to the stream it gets.
    /// </summary>
    /// <param name="name">Unique tensor name (not <c>__metadata__</c>).</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (each ≥ 0; empty for a scalar).</param>
    /// <param name="writeData">Writes the little-endian, C-contiguous bytes.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException">Bad name, duplicate name or negative dimension.</exception>
    public SafetensorsWriter Add(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        var byteLength = CheckEntry(name, dtype, shape);
        _tensors.Add(name, new Pending(name, dtype, shape.ToArray(), byteLength, default, writeData));
        return this;
    }

    /// <summary>Adds a tensor from an array; the dtype follows from <typeparamref name="T"/> (float → F32, long → I64, bool → BOOL, …).</summary>
    /// <param name="name">Unique tensor name (not <c>__metadata__</c>).</param>
    /// <param name="shape">Dimensions; their product must equal <c>data.Length</c>.</param>
    /// <param name="data">The elements in C order; read when the file is written.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no dtype, or the shape does not match.</exception>
    public SafetensorsWriter Add<T>(string name, ReadOnlySpan<long> shape, T[] data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var dtype = SafetensorsDTypes.ForClrType<T>() ?? throw new ArgumentException(
            $"{typeof(T).Name} corresponds to no safetensors dtype; pass raw bytes with an explicit dtype.", nameof(data));
        var byteLength = CheckEntry(name, dtype, shape);
        if (byteLength != (long)data.Length * dtype.ElementSize())
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] has {byteLength / dtype.ElementSize()} " +
                $"elements, but the array has {data.Length}.", nameof(data));
        }
        _tensors.Add(name, new Pending(name, dtype, shape.ToArray(), byteLength, default,
            stream => stream.Write(MemoryMarshal.AsBytes(data.AsSpan()))));
        return this;
    }

    /// <summary>
    /// Adds a copy of tensor <paramref name="name"/> of <paramref name="source"/> (bytes are streamed from its mapping
    /// when the file is written, so keep <paramref name="source"/> open until then).
    /// </summary>
    /// <param name="source">A file or checkpoint.</param>
    /// <param name="name">The tensor to copy.</param>
    /// <param name="newName">Name in the new file; defaults to <paramref name="name"/>.</param>
    /// <returns>This writer.</returns>
    public SafetensorsWriter AddCopy(ISafetensorsReader source, string name, string? newName = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var info = source.GetInfo(name);
        return Add(newName ?? name, info.DType, info.ShapeSpan, stream => CopyMapped(source, name, info.ByteLength, stream));
    }

    /// <summary>Writes the whole file (prefix, header, data) to <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">A callback wrote the wrong number of bytes, or the header exceeds 100 MB.</exception>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var ordered = _tensors.Values.ToList();
        ordered.Sort((a, b) => SafetensorsHeaderBuilder.CompareForLayout(a.DType, a.Name, b.DType, b.Name));
        var header = SafetensorsHeaderBuilder.Build(
            ordered.ConvertAll(t => (t.Name, t.DType, t.Shape, t.ByteLength)), _metadata);
        if (header.Length > MaxHeaderBytes)
        {
            throw new InvalidOperationException(
                $"The header would have {header.Length} bytes; readers reject headers over {MaxHeaderBytes} bytes.");
        }

        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        destination.Write(prefix);
        destination.Write(header);
        foreach (var tensor in ordered)
        {
            if (tensor.WriteData is null)
            {
                destination.Write(tensor.Data.Span);
                continue;
            }
            using var exact = new ExactLengthStream(destination, tensor.ByteLength, tensor.Name);
            tensor.WriteData(exact);
            exact.CheckComplete();
        }
    }

    /// <summary>The whole file as a byte array.</summary>
    public byte[] ToArray()
    {
        using var memory = new MemoryStream();
        WriteTo(memory);
        return memory.ToArray();
    }

    /// <summary>
    /// Writes the file atomically: into a temporary file in the same folder, flushed to disk, then renamed over
    /// <paramref name="path"/>. On any failure the temporary file is deleted and an existing file at
    /// <paramref name="path"/> is left untouched.
    /// </summary>
    /// <param name="path">Destination file; its folder must exist.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{fullPath}' has no parent folder.", nameof(path));
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Best effort: the original error matters more.
            }
            catch (UnauthorizedAccessException)
            {
                // Best effort: the original error matters more.
            }
            throw;
        }
    }

    private long CheckEntry(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckText(name, nameof(name));
        if (name == SafetensorsHeaderParser.MetadataKey)
            throw new ArgumentException($"'{name}' is reserved for the metadata map.", nameof(name));
        if (_tensors.ContainsKey(name))
            throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        if (!Enum.IsDefined(dtype))
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");
        try
        {
            long count = 1;
            foreach (var d in shape)
            {
                if (d < 0)
                {
                    throw new ArgumentException(
                        $"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] has a negative dimension.", nameof(shape));
                }
                count = checked(count * d);
            }
            return checked(count * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] is too large.", nameof(shape));
        }
    }

    private static void CheckText(string text, string parameter)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"'{text}' is not valid Unicode text (lone surrogate).", parameter, ex);
        }
    }

    private static unsafe void CopyMapped(ISafetensorsReader source, string name, long byteLength, Stream destination)
    {
        const int Chunk = 1 << 24;
        var pointer = (byte*)source.GetPointer(name);
        for (long offset = 0; offset < byteLength; offset += Chunk)
        {
            destination.Write(new ReadOnlySpan<byte>(pointer + offset, (int)Math.Min(Chunk, byteLength - offset)));
        }
        GC.KeepAlive(source);
    }

    private sealed record Pending(
        string Name, SafetensorsDType DType, long[] Shape, long ByteLength, ReadOnlyMemory<byte> Data,
        Action<Stream>? WriteData);
}
