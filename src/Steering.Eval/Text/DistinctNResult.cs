namespace DiffusionSteering.Steering.Eval.Text;

/// <summary>Distinct-n of a set of generations.</summary>
/// <param name="N">n-gram order.</param>
/// <param name="UniqueNGrams">Number of distinct n-grams across all generations.</param>
/// <param name="TotalNGrams">Total number of n-gram positions across all generations.</param>
public sealed record DistinctNResult(int N, long UniqueNGrams, long TotalNGrams)
{
    /// <summary>UniqueNGrams / TotalNGrams, in (0, 1].</summary>
    public double Ratio => (double)UniqueNGrams / TotalNGrams;
}
