namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// A token matched verbatim in the input before the model runs (an entry of <c>added_tokens</c> in
/// <c>tokenizer.json</c>). Special tokens (<see cref="Special"/>) can be dropped when decoding.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text the token stands for.</param>
/// <param name="Special">Whether the token is special (skipped by <c>Decode(..., skipSpecialTokens: true)</c>).</param>
/// <param name="Normalized">
/// Whether the token is matched against normalized text (after the normalizer) rather than the raw input.
/// </param>
/// <param name="LStrip">Whether whitespace on the token's left is absorbed into the token.</param>
/// <param name="RStrip">Whether whitespace on the token's right is absorbed into the token.</param>
/// <param name="SingleWord">Whether the token only matches when not touching word characters on either side.</param>
public sealed record AddedToken(
    int Id,
    string Content,
    bool Special,
    bool Normalized = false,
    bool LStrip = false,
    bool RStrip = false,
    bool SingleWord = false)
{
    /// <summary>Creates a special token that is matched on the raw input and has no stripping rules.</summary>
    /// <param name="id">The token id.</param>
    /// <param name="content">The exact text of the token.</param>
    /// <returns>The added token.</returns>
    public static AddedToken SpecialToken(int id, string content) => new(id, content, Special: true);
}
