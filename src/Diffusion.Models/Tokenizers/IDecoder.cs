namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A decoder (the <c>decoder</c> section of <c>tokenizer.json</c>): turns token strings back into text.</summary>
internal interface IDecoder
{
    /// <summary>Transforms a list of token strings; the final text is the concatenation of the result.</summary>
    /// <param name="tokens">Token strings (or the output of a previous decoder).</param>
    /// <returns>The transformed strings.</returns>
    List<string> DecodeChain(List<string> tokens);
}
