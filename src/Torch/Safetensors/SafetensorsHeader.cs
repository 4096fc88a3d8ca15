namespace DiffusionSteering.Torch.Safetensors;

/// <summary>The validated content of a safetensors header.</summary>
/// <param name="TensorsByOffset">The tensors, ordered by data offset (ties by end offset, then by name).</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent or null).</param>
/// <param name="DataSectionOffset">Absolute offset of the data section: 8 + header length.</param>
/// <param name="DataLength">Length of the data section in bytes.</param>
internal sealed record SafetensorsHeader(
    IReadOnlyList<SafetensorsTensorInfo> TensorsByOffset,
    IReadOnlyDictionary<string, string> Metadata,
    long DataSectionOffset,
    long DataLength);
