using DiffusionSteering.Steering.Eval.Quality;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Steering.Eval.Text;

namespace DiffusionSteering.Steering.Eval.Tests.Quality;

public class TokenDiversityTests
{
    [Fact]
    public void DistinctNOverTokenIds()
    {
        // Bigrams: (1,2) (2,3) (3,1) (1,2) | (1,2) → 3 unique of 5.
        DistinctNResult result = TokenDiversity.DistinctN(new IReadOnlyList<long>[] { new long[] { 1, 2, 3, 1, 2 }, new long[] { 1, 2 } }, 2);
        Assert.Equal(3, result.UniqueNGrams);
        Assert.Equal(5, result.TotalNGrams);
        Assert.Equal(0.6, result.Ratio, 12);
        DistinctNResult ints = TokenDiversity.DistinctN(new IReadOnlyList<int>[] { new[] { 4, 4, 5 } }, 1);
        Assert.Equal(2.0 / 3.0, ints.Ratio, 12);
    }

    [Fact]
    public void RepetitionRateOverTokenIds()
    {
        // Bigrams 12 21 12 21 12: the last three repeat earlier ones → 3/5.
        Assert.Equal(0.6, TokenDiversity.RepetitionRate([1, 2, 1, 2, 1, 2], 2), 12);
        ConfidenceInterval mean = TokenDiversity.MeanRepetitionRate(new IReadOnlyList<long>[] { new long[] { 1, 2, 1, 2, 1, 2 }, new long[] { 1, 2, 3, 4 } }, 2);
        Assert.Equal(0.3, mean.Estimate, 12);
    }

    [Fact]
    public void TrailingEndOfTextIsTrimmed()
    {
        Assert.Equal([5L, 9, 6], TokenDiversity.TrimTrailing([5, 9, 6, 9, 8, 9], 9, 8));
        Assert.Empty(TokenDiversity.TrimTrailing([9, 9], 9));
        Assert.Equal([1L, 2], TokenDiversity.TrimTrailing([1, 2]));
        // Trailing padding would otherwise be counted as repetition.
        Assert.Equal(0.0, TokenDiversity.RepetitionRate(TokenDiversity.TrimTrailing([7, 8, 9, 0, 0, 0, 0], 0), 1));
        Assert.Throws<ArgumentException>(() => TokenDiversity.DistinctN(Array.Empty<IReadOnlyList<long>>(), 1));
        Assert.Throws<ArgumentException>(() => TokenDiversity.RepetitionRate([1], 0));
    }
}
