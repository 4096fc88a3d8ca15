namespace DiffusionSteering.Torch.Safetensors;

/// <summary>Knobs for how strictly <see cref="SafetensorsFile"/> validates a file. The defaults match the Rust crate.</summary>
public sealed record SafetensorsReadOptions
{
    /// <summary>The defaults: 100,000,000-byte header limit and full data coverage required.</summary>
    public static SafetensorsReadOptions Default { get; } = new();

    /// <summary>
    /// Largest accepted header length in bytes. Default 100,000,000, the Rust crate's <c>MAX_HEADER_SIZE</c>; a larger
    /// prefix is reported as <see cref="SafetensorsRule.HeaderTooLarge"/>.
    /// </summary>
    public long MaxHeaderBytes { get; init; } = 100_000_000;

    /// <summary>
    /// When <see langword="true"/> (default), every byte of the data section must belong to exactly one tensor: no gap
    /// between tensors and no trailing bytes after the last one (<see cref="SafetensorsRule.UncoveredData"/>). This is
    /// the rule the Rust crate (and so the Python library) enforces (<c>MetadataIncompleteBuffer</c> /
    /// <c>InvalidOffset</c>). Set <see langword="false"/> to accept files from writers that pad between tensors.
    /// Overlapping tensors are rejected either way.
    /// </summary>
    public bool RequireFullCoverage { get; init; } = true;
}
