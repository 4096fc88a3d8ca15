namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// The single-sequence part of the <c>TemplateProcessing</c> post-processor: surrounds the encoded sequence with
/// special tokens (for example a BOS token) when special tokens are requested.
/// </summary>
internal sealed class TemplatePostProcessor : IPostProcessor
{
    private readonly int[] _before;
    private readonly int[] _after;

    /// <summary>Creates the post-processor.</summary>
    /// <param name="before">Ids placed before the sequence.</param>
    /// <param name="after">Ids placed after the sequence.</param>
    public TemplatePostProcessor(IEnumerable<int> before, IEnumerable<int> after)
    {
        _before = before.ToArray();
        _after = after.ToArray();
    }

    /// <inheritdoc/>
    public List<int> Process(List<int> ids, bool addSpecialTokens)
    {
        if (!addSpecialTokens || (_before.Length == 0 && _after.Length == 0)) return ids;
        var result = new List<int>(_before.Length + ids.Count + _after.Length);
        result.AddRange(_before);
        result.AddRange(ids);
        result.AddRange(_after);
        return result;
    }
}
