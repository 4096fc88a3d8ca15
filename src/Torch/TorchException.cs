namespace DiffusionSteering.Torch;

/// <summary>An error reported by libtorch (or by the native shim around it), carrying libtorch's message.</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception with libtorch's message.</summary>
    public TorchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
