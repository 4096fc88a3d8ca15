using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

public sealed class PreTokenizerTests
{
    private static List<string> Split(ISplitPattern pattern, SplitBehavior behavior, string text, bool invert = false)
    {
        var output = new List<string>();
        new SplitPreTokenizer(pattern, behavior, invert).PreTokenize(text, output);
        return output;
    }

    [Theory]
    [InlineData("Removed", new[] { "the", "final", "countdown" })]
    [InlineData("Isolated", new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData("MergedWithPrevious", new[] { "the-", "final-", "-", "countdown" })]
    [InlineData("MergedWithNext", new[] { "the", "-final", "-", "-countdown" })]
    [InlineData("Contiguous", new[] { "the", "-", "final", "--", "countdown" })]
    public void SplitBehaviorsMatchHuggingFaceDocumentation(string behavior, string[] expected)
    {
        Assert.Equal(expected, Split(new LiteralSplitPattern("-"), Enum.Parse<SplitBehavior>(behavior), "the-final--countdown"));
    }

    [Fact]
    public void InvertTreatsMatchesAsContent()
    {
        Assert.Equal(["12", "34"], Split(new RegexSplitPattern(@"\d+"), SplitBehavior.Removed, "ab12cd34", invert: true));
        Assert.Equal(["ab", "cd"], Split(new RegexSplitPattern(@"\d+"), SplitBehavior.Removed, "ab12cd34"));
    }

    [Fact]
    public void Gpt2PatternSplitsContractionsWordsNumbersAndSpaces()
    {
        Assert.Equal(
            ["I", "'m", " here", ",", "  ", " 42", " cats", "   \n"],
            Split(new RegexSplitPattern(TokenizerPatterns.Gpt2), SplitBehavior.Isolated, "I'm here,   42 cats   \n"));
    }

    [Fact]
    public void AstralLettersAndDigitsAreClassifiedByCodePoint()
    {
        // 𝔘 (U+1D518) is a letter and 𝟙 𝟚 (U+1D7D9..) are digits. Matching on UTF-16 code units would see
        // surrogates (category Cs, i.e. "other") and give ["a", "𝔘", "b", " 𝟙𝟚!"].
        Assert.Equal(
            ["a𝔘b", " 𝟙𝟚", "!"],
            Split(new RegexSplitPattern(TokenizerPatterns.Gpt2), SplitBehavior.Isolated, "a𝔘b 𝟙𝟚!"));

        // Qwen2 takes digits one code point at a time.
        Assert.Equal(
            ["𝟙", "𝟚", "𝟛"],
            Split(new RegexSplitPattern(TokenizerPatterns.Qwen2), SplitBehavior.Isolated, "𝟙𝟚𝟛"));

        // Emoji are symbols (So): separated from adjacent letters, never split inside the pair.
        Assert.Equal(
            ["x", "😀", "y", " 😀😃"],
            Split(new RegexSplitPattern(TokenizerPatterns.Gpt2), SplitBehavior.Isolated, "x😀y 😀😃"));
    }

    [Fact]
    public void CodePointRegexMapsOffsetsBackToUtf16()
    {
        var matches = new List<(int Start, int End)>();
        new CodePointRegex(@"\p{L}+").FindMatches("😀ab𝔘c😀d", matches);
        Assert.Equal([(2, 7), (9, 10)], matches);
    }

    [Fact]
    public void ByteLevelMapsBytesAndOptionallyAddsPrefixSpace()
    {
        var output = new List<string>();
        new ByteLevelPreTokenizer(addPrefixSpace: true, useRegex: true).PreTokenize("Hi there\n", output);
        Assert.Equal(["ĠHi", "Ġthere", "Ċ"], output);

        output.Clear();
        new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false).PreTokenize("é x", output);
        Assert.Equal(["Ã©Ġx"], output);
    }
}
