using System.Text;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

public sealed class VocabAndMergesTests : IDisposable
{
    private const string Vocab = """
        {"h": 0, "e": 1, "l": 2, "o": 3, "\u0120": 4, "w": 5, "r": 6, "d": 7, "he": 8, "ll": 9, "llo": 10,
         "hello": 11, "\u0120w": 12, "or": 13, "\u0120wor": 14, "ld": 15, "\u0120world": 16, "!": 17,
         "<|endoftext|>": 18}
        """;

    private const string Merges = "#version: 0.2\nh e\nl l\nll o\nhe llo\n\u0120 w\no r\n\u0120w or\nl d\n\u0120wor ld\n";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tok-vm-" + Guid.NewGuid().ToString("N"));

    public VocabAndMergesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Vocab, string Merges) Write(string vocab, string merges)
    {
        string vocabPath = Path.Combine(_dir, "vocab.json");
        string mergesPath = Path.Combine(_dir, "merges.txt");
        File.WriteAllText(vocabPath, vocab, new UTF8Encoding(false));
        File.WriteAllText(mergesPath, merges, new UTF8Encoding(false));
        return (vocabPath, mergesPath);
    }

    [Fact]
    public void LoadsGpt2StyleFiles()
    {
        var (vocab, merges) = Write(Vocab, Merges);
        var tokenizer = Tokenizer.FromVocabAndMerges(vocab, merges, [AddedToken.SpecialToken(18, "<|endoftext|>")]);

        Assert.Equal([11, 16], tokenizer.Encode("hello world"));
        Assert.Equal(["hello", "Ġworld"], tokenizer.EncodeToTokens("hello world"));
        Assert.Equal(["hello", "Ġwor", "!"], tokenizer.EncodeToTokens("hello wor!"));
        Assert.Equal(["he", "l", "Ġwor", "l"], tokenizer.EncodeToTokens("hel worl"));
        Assert.Equal([11, 18, 16], tokenizer.Encode("hello<|endoftext|> world"));
        Assert.Equal("hello world", tokenizer.Decode([11, 18, 16], skipSpecialTokens: true));
        Assert.Equal("hello<|endoftext|> world", tokenizer.Decode([11, 18, 16]));
        Assert.Equal(19, tokenizer.VocabSize);
        Assert.Equal(9, tokenizer.MergeCount);
        Assert.Equal(16, tokenizer.TokenToId("Ġworld"));
        Assert.Equal("llo", tokenizer.IdToToken(10));
    }

    [Fact]
    public void SupportsAnotherPatternAndNfc()
    {
        var (vocab, merges) = Write(Vocab, Merges);
        var tokenizer = Tokenizer.FromVocabAndMerges(vocab, merges, pattern: TokenizerPatterns.Qwen2, nfcNormalize: true);
        Assert.Equal([11, 16], tokenizer.Encode("hello world"));
    }

    [Fact]
    public void BadMergeLineThrows()
    {
        var (vocab, merges) = Write(Vocab, "#version: 0.2\nh e\nthree part line\n");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromVocabAndMerges(vocab, merges));
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void MergeOutsideVocabularyThrows()
    {
        var (vocab, merges) = Write(Vocab, "h e\nw d\n");
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromVocabAndMerges(vocab, merges));
        Assert.Contains("wd", e.Message);
    }

    [Fact]
    public void MalformedVocabThrows()
    {
        var (vocab, merges) = Write("{\"h\": 0, ", Merges);
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromVocabAndMerges(vocab, merges));
        (vocab, merges) = Write("[\"h\"]", Merges);
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromVocabAndMerges(vocab, merges));
    }

    [Fact]
    public void InvalidPatternThrows()
    {
        var (vocab, merges) = Write(Vocab, Merges);
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromVocabAndMerges(vocab, merges, pattern: "(unclosed"));
    }
}
