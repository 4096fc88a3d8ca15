namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Well-known pre-tokenization regular expressions.</summary>
public static class TokenizerPatterns
{
    /// <summary>The GPT-2 pattern, used by the <c>ByteLevel</c> pre-tokenizer when <c>use_regex</c> is true.</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The Qwen2 pattern (case-insensitive contractions, single digits, newline handling).</summary>
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
}
