namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// A write-only pass-through stream that lets a data callback write exactly the number of bytes its tensor's header
/// entry promised: writing more throws at once, writing fewer is caught by <see cref="CheckComplete"/>.
/// Disposing it leaves the inner stream open.
/// </summary>
internal sealed class ExactLengthStream(Stream inner, long expected, string tensorName) : Stream
{
    private long _written;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => _written;

    /// <inheritdoc />
    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    /// <summary>Throws unless exactly the expected number of bytes was written.</summary>
    public void CheckComplete()
    {
        if (_written != expected)
        {
            throw new InvalidOperationException(
                $"The data callback of tensor '{tensorName}' wrote {_written} bytes; its dtype and shape need {expected}.");
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_written + buffer.Length > expected)
        {
            throw new InvalidOperationException(
                $"The data callback of tensor '{tensorName}' wrote more than the {expected} bytes its dtype and shape need.");
        }
        inner.Write(buffer);
        _written += buffer.Length;
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override void Flush() => inner.Flush();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
