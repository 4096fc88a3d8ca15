namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// The <c>ByteLevel</c> post-processor. In Hugging Face it only trims character offsets; it never changes
/// ids, so here it is the identity.
/// </summary>
internal sealed class ByteLevelPostProcessor : IPostProcessor
{
    /// <inheritdoc/>
    public List<int> Process(List<int> ids, bool addSpecialTokens) => ids;
}
