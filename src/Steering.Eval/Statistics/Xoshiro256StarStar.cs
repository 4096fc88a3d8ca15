using System.Numerics;

namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// Small deterministic pseudo-random generator (xoshiro256**, Blackman and Vigna 2018) seeded through SplitMix64.
/// Results depend only on the seed, never on the .NET runtime's <see cref="Random"/> implementation.
/// Not thread-safe; create one instance per consumer.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose 256-bit state is expanded from <paramref name="seed"/> with SplitMix64.</summary>
    /// <param name="seed">Any 64-bit seed; equal seeds give equal streams.</param>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong sm = seed;
        _s0 = SplitMix64.Next(ref sm);
        _s1 = SplitMix64.Next(ref sm);
        _s2 = SplitMix64.Next(ref sm);
        _s3 = SplitMix64.Next(ref sm);
    }

    /// <summary>Creates a generator with an explicit raw state (used to check the reference test vectors).</summary>
    internal Xoshiro256StarStar(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
        {
            throw new ArgumentException("The xoshiro256** state must not be all zero.");
        }

        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
    }

    /// <summary>Returns the next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns a uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns an unbiased uniform integer in [0, <paramref name="exclusiveBound"/>) (Lemire's multiply-and-reject method).</summary>
    /// <param name="exclusiveBound">Upper bound, at least 1.</param>
    public int NextInt(int exclusiveBound)
    {
        if (exclusiveBound <= 0)
        {
            throw new ArgumentException($"Bound must be positive; got {exclusiveBound}.", nameof(exclusiveBound));
        }

        ulong bound = (ulong)exclusiveBound;
        ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                high = Math.BigMul(NextUInt64(), bound, out low);
            }
        }

        return (int)high;
    }

    /// <summary>Returns a standard normal draw (Box–Muller, one of the pair), useful for synthetic data.</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Shuffles <paramref name="items"/> in place with the Fisher–Yates algorithm.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="items">Items to permute.</param>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
