using DiffusionSteering.Steering.Eval.Text;

namespace DiffusionSteering.Steering.Eval.Tests.Text;

public class DistinctNTests
{
    [Fact]
    public void TokenIds_HandWorked()
    {
        // Bigrams: gen 1 → (1,2) (2,3) (3,1) (1,2); gen 2 → (1,2) (2,4). No bigram spans the two generations.
        // Total 6, unique {(1,2), (2,3), (3,1), (2,4)} = 4.
        int[][] generations = [[1, 2, 3, 1, 2], [1, 2, 4]];
        DistinctNResult bigrams = DistinctN.Compute(generations, 2);
        Assert.Equal(4, bigrams.UniqueNGrams);
        Assert.Equal(6, bigrams.TotalNGrams);
        Assert.Equal(4.0 / 6.0, bigrams.Ratio, 15);

        // Unigrams: 8 tokens, unique {1,2,3,4}.
        Assert.Equal(0.5, DistinctN.Compute(generations, 1).Ratio, 15);
    }

    [Fact]
    public void Words_HandWorked_AndShortGenerationsContributeNothing()
    {
        string[] texts = ["the cat sat on the mat", "the cat ran", "hi"];
        // Bigrams: "the cat" "cat sat" "sat on" "on the" "the mat" | "the cat" "cat ran" → 7 total, 6 unique.
        DistinctNResult r = DistinctN.Compute(texts, 2);
        Assert.Equal(7, r.TotalNGrams);
        Assert.Equal(6, r.UniqueNGrams);
    }

    [Fact]
    public void RegexTokens_SplitPunctuation()
    {
        // Default word pattern: "hi" "," "hi" "." | "hi" "!" → unigrams 6, unique {hi , . !} = 4.
        DistinctNResult r = DistinctN.Compute(["hi, hi.", "hi!"], 1, WordTokenizer.DefaultWordPattern);
        Assert.Equal(6, r.TotalNGrams);
        Assert.Equal(4, r.UniqueNGrams);
    }

    [Fact]
    public void AllDistinct_GivesOne()
    {
        Assert.Equal(1.0, DistinctN.Compute(new[] { new[] { 1, 2, 3 }, new[] { 4, 5, 6 } }, 3).Ratio);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => DistinctN.Compute(Array.Empty<int[]>(), 2));
        Assert.Throws<ArgumentException>(() => DistinctN.Compute(new[] { new[] { 1 } }, 2));
        Assert.Throws<ArgumentException>(() => DistinctN.Compute(new[] { new[] { 1, 2 } }, 0));
        Assert.Throws<ArgumentException>(() => DistinctN.Compute(new[] { "a b", null! }, 1));
    }
}
