namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// SplitMix64 generator step (Steele, Lea and Flood 2014), used to expand a single 64-bit seed into
/// the state of <see cref="Xoshiro256StarStar"/>.
/// </summary>
internal static class SplitMix64
{
    /// <summary>Advances <paramref name="state"/> and returns the next 64-bit output.</summary>
    public static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
