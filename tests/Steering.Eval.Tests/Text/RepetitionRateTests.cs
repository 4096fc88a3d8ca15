using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Steering.Eval.Text;

namespace DiffusionSteering.Steering.Eval.Tests.Text;

public class RepetitionRateTests
{
    [Fact]
    public void HandWorked_Words()
    {
        const string text = "the cat sat the cat sat";
        // Unigrams: 6, of which "the", "cat", "sat" repeat an earlier one → 3/6.
        Assert.Equal(0.5, RepetitionRate.Compute(text, 1), 15);
        // Bigrams: the·cat, cat·sat, sat·the, the·cat (rep), cat·sat (rep) → 2/5.
        Assert.Equal(0.4, RepetitionRate.Compute(text, 2), 15);
        // Trigrams: the·cat·sat, cat·sat·the, sat·the·cat, the·cat·sat (rep) → 1/4.
        Assert.Equal(0.25, RepetitionRate.Compute(text, 3), 15);
    }

    [Fact]
    public void HandWorked_TokenIds_DegenerateLoop()
    {
        // 7 7 7 7 7: four bigrams (7,7), the last three repeat the first → 3/4.
        Assert.Equal(0.75, RepetitionRate.Compute(new[] { 7, 7, 7, 7, 7 }, 2), 15);
        Assert.Equal(0.0, RepetitionRate.Compute(new[] { 1, 2, 3, 4 }, 2));
    }

    [Fact]
    public void RegexTokens_CountPunctuation()
    {
        // "no, no, no": tokens no , no , no → bigrams (no ,) (, no) (no ,)rep (, no)rep → 2/4.
        Assert.Equal(0.5, RepetitionRate.Compute("no, no, no", 2, WordTokenizer.DefaultWordPattern), 15);
        // Whitespace tokens "no," "no," "no" give two different bigrams → 0.
        Assert.Equal(0.0, RepetitionRate.Compute("no, no, no", 2));
    }

    [Fact]
    public void ShorterThanN_IsZero()
    {
        Assert.Equal(0.0, RepetitionRate.Compute("just two", 3));
        Assert.Equal(0.0, RepetitionRate.Compute(Array.Empty<int>(), 1));
    }

    [Fact]
    public void Mean_WithStudentTInterval()
    {
        // Rates 0.75, 0.0, 0.5 (see the cases above): mean 5/12.
        int[][] generations = [[7, 7, 7, 7, 7], [1, 2, 3, 4], [1, 2, 1, 2, 1, 2]];
        // [1,2,1,2,1,2] bigrams: 12 21 12(rep) 21(rep) 12(rep) → 3/5 = 0.6, so mean = (0.75 + 0 + 0.6)/3 = 0.45.
        ConfidenceInterval ci = RepetitionRate.Mean(generations, 2);
        Assert.Equal(0.45, ci.Estimate, 14);
        Assert.True(ci.Lower < 0.45 && ci.Upper > 0.45);
        Assert.Equal(MeanInterval.StudentT([0.75, 0.0, 0.6]), ci);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => RepetitionRate.Compute("a b", 0));
        Assert.Throws<ArgumentNullException>(() => RepetitionRate.Compute((string)null!, 1));
        Assert.Throws<ArgumentException>(() => RepetitionRate.Mean(new[] { new[] { 1, 2 } }, 1)); // one value: no interval
    }
}
