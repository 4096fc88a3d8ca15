namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Applies several normalizers in order.</summary>
internal sealed class SequenceNormalizer : INormalizer
{
    private readonly INormalizer[] _normalizers;

    /// <summary>Creates the sequence.</summary>
    /// <param name="normalizers">The normalizers, applied first to last.</param>
    public SequenceNormalizer(IEnumerable<INormalizer> normalizers) => _normalizers = normalizers.ToArray();

    /// <inheritdoc/>
    public string Normalize(string text)
    {
        foreach (var normalizer in _normalizers) text = normalizer.Normalize(text);
        return text;
    }
}
