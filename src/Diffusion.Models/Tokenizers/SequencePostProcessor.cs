namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Applies several post-processors in order.</summary>
internal sealed class SequencePostProcessor : IPostProcessor
{
    private readonly IPostProcessor[] _processors;

    /// <summary>Creates the sequence.</summary>
    /// <param name="processors">The post-processors, applied first to last.</param>
    public SequencePostProcessor(IEnumerable<IPostProcessor> processors) => _processors = processors.ToArray();

    /// <inheritdoc/>
    public List<int> Process(List<int> ids, bool addSpecialTokens)
    {
        foreach (var processor in _processors) ids = processor.Process(ids, addSpecialTokens);
        return ids;
    }
}
