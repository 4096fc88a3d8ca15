using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

/// <summary>Deterministic English-like text for trainer and speed tests.</summary>
internal static class TestCorpus
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "model", "diffusion", "token", "tokenizer", "language", "sampling", "denoising", "mask",
        "probability", "steering", "vector", "residual", "stream", "layer", "attention", "training", "data",
        "merge", "vocabulary", "sequence", "encoder", "decoder", "byte", "level", "pair", "encoding", "frequency",
        "river", "mountain", "village", "morning", "evening", "quickly", "slowly", "beautiful", "ancient", "modern",
        "computer", "science", "history", "government", "people", "because", "through", "between", "however",
        "don't", "it's", "we've", "they're", "I'm", "you'll", "she'd", "2024", "42", "3.14", "100%", "$5",
    ];

    private static readonly string[] Punctuation = [".", ",", ";", "!", "?", ":", " -", "\n", "\n\n"];

    /// <summary>Builds roughly <paramref name="approximateBytes"/> bytes of text from a fixed seed.</summary>
    /// <param name="approximateBytes">The size to reach.</param>
    /// <param name="seed">The random seed.</param>
    /// <returns>The text.</returns>
    public static string English(int approximateBytes, int seed = 1234)
    {
        var random = new Random(seed);
        var text = new StringBuilder(approximateBytes + 100);
        bool capitalize = true;
        while (text.Length < approximateBytes)
        {
            string word = random.Next(8) == 0 ? RandomWord(random) : Words[random.Next(Words.Length)];
            if (capitalize) word = char.ToUpperInvariant(word[0]) + word[1..];
            if (text.Length > 0 && text[^1] != '\n') text.Append(' ');
            text.Append(word);
            capitalize = false;
            if (random.Next(9) == 0)
            {
                string p = Punctuation[random.Next(Punctuation.Length)];
                text.Append(p);
                capitalize = p is "." or "!" or "?" or "\n" or "\n\n";
            }
        }
        return text.ToString();
    }

    private static string RandomWord(Random random)
    {
        var letters = new char[random.Next(3, 11)];
        for (int i = 0; i < letters.Length; i++) letters[i] = (char)('a' + random.Next(26));
        return new string(letters);
    }

    /// <summary>Splits text into documents at blank lines.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The documents.</returns>
    public static string[] Documents(string text) => text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
}
