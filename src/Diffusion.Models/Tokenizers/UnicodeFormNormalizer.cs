using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Unicode normalization to one of the forms NFC, NFD, NFKC or NFKD.</summary>
internal sealed class UnicodeFormNormalizer : INormalizer
{
    private readonly NormalizationForm _form;

    /// <summary>Creates the normalizer.</summary>
    /// <param name="form">The Unicode normalization form.</param>
    public UnicodeFormNormalizer(NormalizationForm form) => _form = form;

    /// <inheritdoc/>
    public string Normalize(string text) => text.IsNormalized(_form) ? text : text.Normalize(_form);
}
