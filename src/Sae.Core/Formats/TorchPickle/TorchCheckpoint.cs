namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// The top-level dict of a <c>torch.save</c> archive, split into its tensor entries and its other entries (such as
/// the <c>activation: "TopK"</c> string or <c>activation_state_dict</c> of OpenAI sparse-autoencoder checkpoints).
/// </summary>
public sealed class TorchCheckpoint
{
    internal TorchCheckpoint(IReadOnlyDictionary<string, PickledTensor> tensors, IReadOnlyDictionary<string, object?> values,
        bool isOrderedDict)
    {
        Tensors = tensors;
        Values = values;
        IsOrderedDict = isOrderedDict;
    }

    /// <summary>The entries whose value is a tensor (or <c>nn.Parameter</c>), in file order.</summary>
    public IReadOnlyDictionary<string, PickledTensor> Tensors { get; }

    /// <summary>
    /// The other entries, in file order, as plain .NET values: <see langword="null"/> (None), <see cref="bool"/>,
    /// <see cref="long"/>, <see cref="System.Numerics.BigInteger"/> (ints beyond 64 bits), <see cref="double"/>,
    /// <see cref="string"/>, <see cref="IReadOnlyList{T}"/> of object (tuples and lists),
    /// <see cref="IReadOnlyDictionary{TKey, TValue}"/> of object to object (dicts, keys being the scalar types above),
    /// and <see cref="PickledTensor"/> for tensors nested inside them.
    /// </summary>
    public IReadOnlyDictionary<string, object?> Values { get; }

    /// <summary>Whether the top level was a <c>collections.OrderedDict</c> (as <c>nn.Module.state_dict()</c> returns)
    /// rather than a plain <c>dict</c>.</summary>
    public bool IsOrderedDict { get; }
}
