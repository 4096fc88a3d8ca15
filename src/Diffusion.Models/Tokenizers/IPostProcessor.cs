namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>A post-processor (the <c>post_processor</c> section of <c>tokenizer.json</c>): adds special tokens.</summary>
internal interface IPostProcessor
{
    /// <summary>Rewrites the ids of one encoded sequence.</summary>
    /// <param name="ids">The ids from the model and the added-token matcher.</param>
    /// <param name="addSpecialTokens">Whether special tokens (e.g. BOS) may be added.</param>
    /// <returns>The final ids (may be <paramref name="ids"/> itself).</returns>
    List<int> Process(List<int> ids, bool addSpecialTokens);
}
