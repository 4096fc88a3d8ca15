using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// The <c>ByteLevel</c> decoder: maps byte-level alphabet characters back to bytes and decodes them as UTF-8
/// (invalid sequences become U+FFFD). A token containing any character outside the alphabet (e.g. a special token
/// written in arbitrary Unicode) contributes its own UTF-8 bytes instead, as in Hugging Face.
/// </summary>
internal sealed class ByteLevelDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            int start = bytes.Count;
            bool allMapped = true;
            foreach (char c in token)
            {
                int b = ByteLevelAlphabet.CharToByte(c);
                if (b < 0)
                {
                    allMapped = false;
                    break;
                }
                bytes.Add((byte)b);
            }
            if (!allMapped)
            {
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }
        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }
}
