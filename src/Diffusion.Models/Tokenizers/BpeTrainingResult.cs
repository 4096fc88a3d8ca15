namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>The output of <see cref="BpeTrainer"/>: a byte-level BPE vocabulary and its merges.</summary>
public sealed class BpeTrainingResult
{
    internal BpeTrainingResult(
        IReadOnlyList<string> specialTokens,
        IReadOnlyList<string> vocabulary,
        IReadOnlyList<(string Left, string Right)> merges)
    {
        SpecialTokens = specialTokens;
        Vocabulary = vocabulary;
        Merges = merges;
    }

    /// <summary>The special tokens; token i has id i.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Every token, indexed by id (special tokens, the 256 byte tokens, then merged tokens).</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>The merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>
    /// Serialises the tokenizer in the current Hugging Face <c>tokenizer.json</c> format: BPE model with merges as
    /// pairs, ByteLevel pre-tokenizer (GPT-2 regex), ByteLevel post-processor and decoder, special tokens as
    /// non-normalized special added tokens.
    /// </summary>
    /// <returns>The JSON text.</returns>
    public string ToTokenizerJson() => TokenizerJsonWriter.Write(this);

    /// <summary>Writes <see cref="ToTokenizerJson"/> to a file (UTF-8, no byte order mark).</summary>
    /// <param name="tokenizerJsonPath">The output path.</param>
    public void Save(string tokenizerJsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        File.WriteAllText(tokenizerJsonPath, ToTokenizerJson(), new System.Text.UTF8Encoding(false));
    }

    /// <summary>Builds a <see cref="Tokenizer"/> from the serialised form (so it behaves exactly like the saved file).</summary>
    /// <returns>The tokenizer.</returns>
    public Tokenizer ToTokenizer() => Tokenizer.FromJson(ToTokenizerJson());
}
