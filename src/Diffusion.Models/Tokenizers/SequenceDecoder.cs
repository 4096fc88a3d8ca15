namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Applies several decoders in order, each to the output of the previous one.</summary>
internal sealed class SequenceDecoder : IDecoder
{
    private readonly IDecoder[] _decoders;

    /// <summary>Creates the sequence.</summary>
    /// <param name="decoders">The decoders, applied first to last.</param>
    public SequenceDecoder(IEnumerable<IDecoder> decoders) => _decoders = decoders.ToArray();

    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var decoder in _decoders) tokens = decoder.DecodeChain(tokens);
        return tokens;
    }
}
