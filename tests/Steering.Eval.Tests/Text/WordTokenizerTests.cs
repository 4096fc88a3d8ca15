using System.Text.RegularExpressions;
using DiffusionSteering.Steering.Eval.Text;

namespace DiffusionSteering.Steering.Eval.Tests.Text;

public class WordTokenizerTests
{
    [Fact]
    public void Whitespace_DropsEmptyEntries()
    {
        Assert.Equal(["a", "b", "c"], WordTokenizer.SplitWhitespace("  a\tb \n c  "));
        Assert.Empty(WordTokenizer.SplitWhitespace("   "));
    }

    [Fact]
    public void DefaultRegex_SeparatesPunctuation()
    {
        Assert.Equal(["Hello", ",", "world", "!", "It's", "42", "."], WordTokenizer.SplitRegex("Hello, world! It's 42."));
    }

    [Fact]
    public void CustomRegex_IsUsed()
    {
        Assert.Equal(["ab", "cd"], WordTokenizer.SplitRegex("ab-cd", new Regex("[a-z]+")));
    }
}
