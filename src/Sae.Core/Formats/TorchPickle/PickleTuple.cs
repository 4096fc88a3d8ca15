namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>An unpickled Python <c>tuple</c>: an immutable sequence of unpickled values.</summary>
internal sealed class PickleTuple
{
    /// <summary>The empty tuple.</summary>
    internal static readonly PickleTuple Empty = new([]);

    private readonly object?[] _items;

    /// <summary>Wraps <paramref name="items"/>, which the caller must not modify afterwards.</summary>
    internal PickleTuple(object?[] items) => _items = items;

    /// <summary>The number of items.</summary>
    internal int Count => _items.Length;

    /// <summary>The item at <paramref name="index"/>.</summary>
    internal object? this[int index] => _items[index];

    /// <summary>A copy of the items.</summary>
    internal object?[] ToArray() => (object?[])_items.Clone();

    /// <inheritdoc />
    public override string ToString() => $"tuple of {_items.Length}";
}
