namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A text normalizer (the <c>normalizer</c> section of <c>tokenizer.json</c>).</summary>
internal interface INormalizer
{
    /// <summary>Returns the normalized form of <paramref name="text"/>.</summary>
    /// <param name="text">Input text.</param>
    /// <returns>Normalized text (the same instance when nothing changes).</returns>
    string Normalize(string text);
}
