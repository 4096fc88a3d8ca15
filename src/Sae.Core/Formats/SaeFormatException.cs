namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>An SAE file or folder that cannot be loaded: missing files or keys, wrong shapes, unsupported options.</summary>
public sealed class SaeFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SaeFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public SaeFormatException(string message, Exception inner) : base(message, inner) { }
}
