using System.IO.MemoryMappedFiles;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// A copy-on-write memory mapping of a whole file, shared by one <see cref="SafetensorsFile"/> and any number of
/// <see cref="SafetensorsLease"/>s through a reference count; unmapped when the last holder releases it.
/// </summary>
/// <remarks>
/// <para>Copy-on-write (a private mapping), so that a tensor viewing the file's bytes in place (zero-copy) may be
/// written: the written pages become private copies of this process and the file never changes. Pages that are only
/// read stay shared with the page cache (and with other processes mapping the same file). Replacing the file by
/// rename (as <see cref="SafetensorsWriter.Save"/> does) is safe while it is mapped; truncating or rewriting it in
/// place is not.</para>
/// <para>
/// The base address comes from the view's handle without an extra <c>AcquirePointer</c> reference, so a holder that
/// is never disposed does not pin the mapping forever: once every holder is unreachable, the runtime's safe-handle
/// finalizers unmap it. Holders must therefore stay reachable while their pointers are in use (leases exist for
/// that).</para>
/// </remarks>
internal sealed unsafe class SafetensorsMapping
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private int _references = 1;

    private SafetensorsMapping(MemoryMappedFile file, MemoryMappedViewAccessor view, long length, string filePath)
    {
        _file = file;
        _view = view;
        Length = length;
        FilePath = filePath;
        Base = (byte*)view.SafeMemoryMappedViewHandle.DangerousGetHandle() + view.PointerOffset;
    }

    /// <summary>First byte of the file in memory.</summary>
    public byte* Base { get; }

    /// <summary>File length in bytes.</summary>
    public long Length { get; }

    /// <summary>Full path of the mapped file.</summary>
    public string FilePath { get; }

    /// <summary>Maps <paramref name="stream"/> (taking ownership of it) copy-on-write; the caller holds the first reference.</summary>
    public static SafetensorsMapping Create(FileStream stream, long length, string filePath)
    {
        MemoryMappedFile? file = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(
                stream, mapName: null, capacity: 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
            var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.CopyOnWrite);
            return new SafetensorsMapping(file, view, length, filePath);
        }
        catch
        {
            if (file is not null) file.Dispose();
            else stream.Dispose();
            throw;
        }
    }

    /// <summary>Adds a reference unless the mapping is already released.</summary>
    /// <returns><see langword="false"/> when the mapping was already released.</returns>
    public bool TryAddReference()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0) return false;
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current) return true;
        }
    }

    /// <summary>Drops a reference; the last one unmaps the file and closes it.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>
    /// A separate, read-only mapping of <paramref name="length"/> bytes at absolute file offset <paramref name="offset"/>
    /// (one tensor, typically), for a one-off copy: disposing it unmaps those pages, so a loader that copies tensor by
    /// tensor through such ranges never holds more than one tensor's file pages in its resident set. The caller must
    /// hold a reference to this mapping (a lease) while the range is in use.
    /// </summary>
    public TransientRange MapRange(long offset, long length)
    {
        if (offset < 0 || length <= 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, {offset}+{length}) is outside '{FilePath}' ({Length} bytes)");
        return new TransientRange(_file.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read));
    }

    /// <summary>A read-only view of part of the file; dispose to unmap it.</summary>
    internal sealed class TransientRange : IDisposable
    {
        private readonly MemoryMappedViewAccessor _view;

        public TransientRange(MemoryMappedViewAccessor view)
        {
            _view = view;
            Pointer = (IntPtr)((byte*)view.SafeMemoryMappedViewHandle.DangerousGetHandle() + view.PointerOffset);
        }

        /// <summary>The first byte of the range.</summary>
        public IntPtr Pointer { get; }

        public void Dispose() => _view.Dispose();
    }

    /// <summary>A span over <paramref name="length"/> bytes at absolute file offset <paramref name="offset"/>.</summary>
    /// <exception cref="InvalidOperationException">The range is longer than a span can be (2 GiB − 1 bytes).</exception>
    public ReadOnlySpan<byte> Span(long offset, long length, string what)
    {
        if (length > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"{what} in '{FilePath}' has {length} bytes, more than a span can hold; use GetPointer (and a lease) instead.");
        }
        return new ReadOnlySpan<byte>(Base + offset, (int)length);
    }
}
