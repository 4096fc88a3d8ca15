namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// A <c>torch.save</c> archive is malformed or outside what <see cref="TorchPickleReader"/> supports: not a zip, a
/// truncated or inconsistent pickle, a missing or wrongly sized storage record, a big-endian archive, and so on.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> so that callers loading a file can handle "cannot read this file" in one
/// place. <see cref="UnsafePickleException"/> derives from this type.
/// </remarks>
public class TorchCheckpointFormatException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public TorchCheckpointFormatException()
        : base("The torch checkpoint is malformed.")
    {
    }

    /// <summary>Creates the exception with a message describing the problem.</summary>
    /// <param name="message">What is wrong and where.</param>
    public TorchCheckpointFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that revealed the problem.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The underlying error.</param>
    public TorchCheckpointFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
