namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A pre-tokenizer (the <c>pre_tokenizer</c> section of <c>tokenizer.json</c>): splits text into words.</summary>
internal interface IPreTokenizer
{
    /// <summary>Splits (and possibly rewrites) one piece of text, appending the non-empty results.</summary>
    /// <param name="piece">A piece of normalized text.</param>
    /// <param name="output">Receives the resulting pieces, in order; empty pieces are never added.</param>
    void PreTokenize(string piece, List<string> output);
}
