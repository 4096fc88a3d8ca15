namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// A pickle asked for something the restricted unpickler refuses: a global outside the allow-list (for example
/// <c>os.system</c> or <c>builtins.eval</c>), an opcode it does not implement (for example <c>INST</c>, <c>OBJ</c>,
/// <c>NEWOBJ</c>, <c>EXT1</c>), or a call of an object that is not an allowed callable. Nothing is ever executed: the
/// reader stops at the first such request.
/// </summary>
public class UnsafePickleException : TorchCheckpointFormatException
{
    /// <summary>Creates the exception with a default message.</summary>
    public UnsafePickleException()
        : base("The pickle requests an operation the restricted unpickler does not allow.")
    {
    }

    /// <summary>Creates the exception with a message naming the refused opcode or global.</summary>
    /// <param name="message">What was refused and where.</param>
    public UnsafePickleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an underlying error.</summary>
    /// <param name="message">What was refused and where.</param>
    /// <param name="innerException">The underlying error.</param>
    public UnsafePickleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
