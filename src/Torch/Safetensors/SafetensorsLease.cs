namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// Keeps the memory mapping of one safetensors file alive, independently of the <see cref="SafetensorsFile"/> it came
/// from: the mapping is released when the file and every lease on it are disposed. Give a lease to a zero-copy
/// consumer (e.g. a native tensor over <see cref="GetPointer"/>) and dispose it when the consumer is done.
/// </summary>
/// <remarks>
/// Dispose is idempotent and thread-safe. Keep the lease reachable while its pointers are in use; an abandoned lease
/// lets the runtime unmap the file once nothing references it.
/// </remarks>
public sealed unsafe class SafetensorsLease : IDisposable
{
    private SafetensorsMapping? _mapping;

    internal SafetensorsLease(SafetensorsMapping mapping, IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors)
    {
        _mapping = mapping;
        Tensors = tensors;
        FilePath = mapping.FilePath;
    }

    /// <summary>Full path of the leased file.</summary>
    public string FilePath { get; }

    /// <summary>The tensors of the leased file.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => Volatile.Read(ref _mapping) is null;

    /// <summary>
    /// Address of the tensor's first byte; valid until this lease is disposed. The mapping is copy-on-write: writes
    /// through it stay private to this process (and to every holder of this mapping) and never reach the file.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such tensor in the file.</exception>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public IntPtr GetPointer(string name)
    {
        var mapping = Mapping;
        return (IntPtr)(mapping.Base + TensorLookup.Find(Tensors, name, $"'{FilePath}'").FileOffset);
    }

    /// <summary>The tensor's raw bytes, zero-copy; valid until this lease is disposed.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor in the file.</exception>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    /// <exception cref="InvalidOperationException">The tensor is 2 GiB or larger (use <see cref="GetPointer"/>).</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var mapping = Mapping;
        var info = TensorLookup.Find(Tensors, name, $"'{FilePath}'");
        return mapping.Span(info.FileOffset, info.ByteLength, $"Tensor '{name}'");
    }

    /// <summary>
    /// A separate read-only mapping of just this tensor's bytes (see <see cref="SafetensorsMapping.MapRange"/>), for a
    /// one-off copy; dispose it before this lease.
    /// </summary>
    internal SafetensorsMapping.TransientRange MapTransient(string name)
    {
        var mapping = Mapping;
        var info = TensorLookup.Find(Tensors, name, $"'{FilePath}'");
        return mapping.MapRange(info.FileOffset, info.ByteLength);
    }

    /// <summary>Releases this lease's hold on the mapping.</summary>
    public void Dispose() => Interlocked.Exchange(ref _mapping, null)?.Release();

    private SafetensorsMapping Mapping => Volatile.Read(ref _mapping)
        ?? throw new ObjectDisposedException(nameof(SafetensorsLease), $"The lease on '{FilePath}' has been disposed.");
}
