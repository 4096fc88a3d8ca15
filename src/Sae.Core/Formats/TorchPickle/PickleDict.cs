namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// An unpickled Python <c>dict</c> or <c>collections.OrderedDict</c>: insertion-ordered, keyed by hashable scalars
/// (<see cref="string"/>, <see cref="long"/>, <see cref="System.Numerics.BigInteger"/>, <see cref="double"/>,
/// <see cref="bool"/>).
/// </summary>
internal sealed class PickleDict
{
    private readonly OrderedDictionary<object, object?> _items = new();

    /// <summary>Creates an empty dict.</summary>
    /// <param name="isOrderedDict">Whether it was built as <c>collections.OrderedDict</c>.</param>
    internal PickleDict(bool isOrderedDict) => IsOrderedDict = isOrderedDict;

    /// <summary>Whether this was built as <c>collections.OrderedDict</c> rather than a plain <c>dict</c>.</summary>
    internal bool IsOrderedDict { get; }

    /// <summary>The number of entries.</summary>
    internal int Count => _items.Count;

    /// <summary>The entries in insertion order.</summary>
    internal IEnumerable<KeyValuePair<object, object?>> Entries => _items;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (Python semantics: a repeated key keeps its
    /// first position and takes the new value).</summary>
    /// <returns><see langword="false"/> when <paramref name="key"/> is not of a supported hashable type.</returns>
    internal bool TrySet(object? key, object? value)
    {
        if (key is not (string or long or System.Numerics.BigInteger or double or bool)) return false;
        _items[key] = value;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{(IsOrderedDict ? "OrderedDict" : "dict")} of {Count}";
}
