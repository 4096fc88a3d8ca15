namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Equality for token pairs packed as <c>(left &lt;&lt; 32) | right</c>. The default hash of a <see cref="long"/>
/// is <c>left ^ right</c>, which collides massively for small ids; this one mixes the bits (Fibonacci hashing).
/// </summary>
internal sealed class PairKeyComparer : IEqualityComparer<long>
{
    /// <summary>The shared stateless instance.</summary>
    public static readonly PairKeyComparer Instance = new();

    /// <inheritdoc/>
    public bool Equals(long x, long y) => x == y;

    /// <inheritdoc/>
    public int GetHashCode(long value) => (int)((ulong)value * 0x9E3779B97F4A7C15UL >> 32);
}
