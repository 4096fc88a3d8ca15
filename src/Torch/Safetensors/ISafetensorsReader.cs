namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// Read access to named tensors, implemented by a single <see cref="SafetensorsFile"/> and by a (possibly sharded)
/// <see cref="SafetensorsCheckpoint"/>. Every member except <see cref="IDisposable.Dispose"/> throws
/// <see cref="ObjectDisposedException"/> after disposal and <see cref="KeyNotFoundException"/> (naming the tensor and
/// the file or checkpoint) for an unknown name.
/// </summary>
public interface ISafetensorsReader : IDisposable
{
    /// <summary>Every tensor, by name.</summary>
    IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Whether a tensor named <paramref name="name"/> exists.</summary>
    bool Contains(string name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    SafetensorsTensorInfo GetInfo(string name);

    /// <summary>
    /// The tensor's raw little-endian bytes, zero-copy over the memory mapping. Valid only while this reader is
    /// not disposed; to outlive it, use <see cref="AcquireLease"/>.
    /// </summary>
    ReadOnlySpan<byte> GetBytes(string name);

    /// <summary>
    /// Address of the tensor's first byte in the memory mapping. The mapping is copy-on-write: a write through the
    /// pointer never reaches the file, but every reader of this mapping sees it, so write only through a tensor you
    /// own (the zero-copy tensors of <c>SafetensorsTorch.LoadTensor(copy: false)</c>). Valid while this reader or a
    /// lease on its file is alive; hand a lease to whoever keeps the pointer longer.
    /// </summary>
    IntPtr GetPointer(string name);

    /// <summary>
    /// A lease that keeps the mapping of the file holding <paramref name="name"/> alive until the lease is disposed,
    /// even after this reader is disposed.
    /// </summary>
    SafetensorsLease AcquireLease(string name);

    /// <summary>Copies the tensor into a new array; the dtype must be exactly the one <typeparamref name="T"/> represents.</summary>
    /// <exception cref="InvalidCastException">The tensor has another dtype.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> represents no safetensors dtype.</exception>
    T[] Read<T>(string name) where T : unmanaged;

    /// <summary>Copies a tensor of any floating-point dtype (F64, F32, F16, BF16, F8_*) into a new float[].</summary>
    /// <exception cref="InvalidCastException">The tensor is not floating-point.</exception>
    float[] ReadAsFloat32(string name);
}
