using System.Collections.ObjectModel;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>Turns unpickled values into the plain .NET shapes <see cref="TorchCheckpoint.Values"/> documents.</summary>
internal static class PickleValueConverter
{
    private const int MaxDepth = 64;

    /// <summary>Converts <paramref name="value"/>: tuples and lists become read-only lists, dicts read-only ordered
    /// dictionaries; scalars, strings and tensors are returned as they are.</summary>
    /// <exception cref="TorchCheckpointFormatException">The value is nested too deeply or contains itself.</exception>
    internal static object? ToPlain(object? value, string where) =>
        Convert(value, where, new HashSet<object>(ReferenceEqualityComparer.Instance), 0);

    private static object? Convert(object? value, string where, HashSet<object> open, int depth)
    {
        if (value is not (PickleTuple or List<object?> or PickleDict)) return value;
        if (depth >= MaxDepth) throw new TorchCheckpointFormatException($"{where}: values are nested more than {MaxDepth} deep.");
        if (!open.Add(value)) throw new TorchCheckpointFormatException($"{where}: a value contains itself.");
        try
        {
            switch (value)
            {
                case PickleTuple tuple:
                    return Array.AsReadOnly(Array.ConvertAll(tuple.ToArray(), item => Convert(item, where, open, depth + 1)));
                case List<object?> list:
                    return list.Select(item => Convert(item, where, open, depth + 1)).ToList().AsReadOnly();
                default:
                    var dict = (PickleDict)value;
                    var converted = new OrderedDictionary<object, object?>();
                    foreach (var (key, item) in dict.Entries) converted.Add(key, Convert(item, where, open, depth + 1));
                    return new ReadOnlyDictionary<object, object?>(converted);
            }
        }
        finally
        {
            open.Remove(value);
        }
    }
}
