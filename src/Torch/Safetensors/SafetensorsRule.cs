namespace DiffusionSteering.Torch.Safetensors;

/// <summary>The validation rule a <see cref="SafetensorsFormatException"/> reports as broken.</summary>
public enum SafetensorsRule
{
    /// <summary>The file is shorter than the 8-byte header-length prefix.</summary>
    FileTooShort,

    /// <summary>The header length exceeds <see cref="SafetensorsReadOptions.MaxHeaderBytes"/> (100 MB by default, as in the Rust crate).</summary>
    HeaderTooLarge,

    /// <summary>The header length reaches past the end of the file.</summary>
    HeaderBeyondFile,

    /// <summary>The header bytes are not valid UTF-8.</summary>
    HeaderNotUtf8,

    /// <summary>The header is not syntactically valid JSON (or has content after the root value other than whitespace).</summary>
    HeaderNotJson,

    /// <summary>The header's root JSON value is not an object.</summary>
    HeaderNotObject,

    /// <summary>A tensor name (or <c>__metadata__</c>) occurs more than once in the header.</summary>
    DuplicateName,

    /// <summary>A tensor entry is not a JSON object.</summary>
    EntryNotObject,

    /// <summary>A tensor entry lacks <c>dtype</c>, <c>shape</c> or <c>data_offsets</c>.</summary>
    MissingField,

    /// <summary>A tensor entry names one of its fields twice.</summary>
    DuplicateField,

    /// <summary>
    /// A field has the wrong JSON type: <c>dtype</c> not a string, <c>shape</c> not an array of integers,
    /// <c>data_offsets</c> not an array of exactly two non-negative integers.
    /// </summary>
    InvalidFieldType,

    /// <summary>The <c>dtype</c> string is not one of <see cref="SafetensorsDTypes.SupportedHeaderNames"/>.</summary>
    UnknownDType,

    /// <summary>A shape dimension is negative.</summary>
    NegativeDimension,

    /// <summary>The element count or byte size computed from the shape overflows 64 bits.</summary>
    ShapeOverflow,

    /// <summary><c>data_offsets</c> has begin &gt; end.</summary>
    OffsetsReversed,

    /// <summary><c>data_offsets</c> ends beyond the data section (the end of the file).</summary>
    OffsetsOutOfBounds,

    /// <summary>Shape product × element size differs from end − begin.</summary>
    SizeMismatch,

    /// <summary>The byte ranges of two tensors overlap.</summary>
    OverlappingTensors,

    /// <summary>
    /// Part of the data section belongs to no tensor (a gap between tensors, or bytes after the last one). Enforced
    /// only when <see cref="SafetensorsReadOptions.RequireFullCoverage"/> is set (the default, matching the Rust crate).
    /// </summary>
    UncoveredData,

    /// <summary><c>__metadata__</c> is not an object mapping strings to strings (or repeats a key).</summary>
    InvalidMetadata,

    /// <summary>A sharded checkpoint's index file (<c>*.safetensors.index.json</c>) is malformed.</summary>
    InvalidIndex,

    /// <summary>A shard file named by the index does not exist.</summary>
    MissingShard,

    /// <summary>The index maps a tensor to a shard that does not contain it.</summary>
    TensorMissingFromShard,

    /// <summary>A shard contains a tensor that the index maps to another shard, or does not list at all.</summary>
    TensorInUnexpectedShard,
}
