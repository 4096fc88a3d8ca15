namespace DiffusionSteering.Diffusion.Models.Checkpoints;

/// <summary>A checkpoint folder that cannot be loaded: a missing or malformed file, config value or tensor.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
