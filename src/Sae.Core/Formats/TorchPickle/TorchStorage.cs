namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>One raw storage record (<c>&lt;archive&gt;/data/&lt;key&gt;</c>) of a torch zip archive, as loaded bytes.</summary>
/// <param name="Key">The record key from the persistent id.</param>
/// <param name="Location">The device the tensor was saved from, e.g. <c>"cpu"</c> or <c>"cuda:0"</c>.</param>
/// <param name="Bytes">The little-endian storage bytes; shared by every tensor viewing this storage, never modified.</param>
internal sealed record TorchStorage(string Key, string Location, byte[] Bytes)
{
    /// <inheritdoc />
    public override string ToString() => $"storage '{PickleMachine.Printable(Key)}' ({Location})";
}
