namespace DiffusionSteering.Torch.Safetensors;

/// <summary>Name lookup with a <see cref="KeyNotFoundException"/> that names the tensor and where it was sought.</summary>
internal static class TensorLookup
{
    /// <summary>Returns the entry for <paramref name="name"/> or throws naming it and <paramref name="source"/>.</summary>
    public static SafetensorsTensorInfo Find(
        IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors, string name, string source)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (tensors.TryGetValue(name, out var info)) return info;
        throw new KeyNotFoundException(
            $"Tensor '{name}' is not in {source} (it holds {tensors.Count} tensor{(tensors.Count == 1 ? "" : "s")}" +
            $"{Suggestion(tensors, name)}).");
    }

    private static string Suggestion(IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors, string name)
    {
        // The usual mistake is a missing or extra prefix such as "model."; point at names that end the same way.
        var similar = tensors.Keys
            .Where(k => k.EndsWith("." + name, StringComparison.Ordinal) || name.EndsWith("." + k, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Take(3)
            .ToList();
        return similar.Count == 0 ? "" : "; similar: " + string.Join(", ", similar.Select(s => "'" + s + "'"));
    }
}
