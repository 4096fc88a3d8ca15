namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Thrown when tokenizer files (a Hugging Face <c>tokenizer.json</c>, a <c>vocab.json</c> or a <c>merges.txt</c>)
/// are malformed or use a component, key or setting this implementation does not support.
/// The message names the offending component so that a missing feature is never silently ignored.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, naming the component and key.</param>
    public TokenizerFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What is wrong, naming the component and key.</param>
    /// <param name="innerException">The underlying error (for example a JSON parse error).</param>
    public TokenizerFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
