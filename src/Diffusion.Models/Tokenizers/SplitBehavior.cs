namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>What a <c>Split</c> pre-tokenizer does with the delimiters it finds.</summary>
internal enum SplitBehavior
{
    /// <summary>Delimiters are dropped.</summary>
    Removed,

    /// <summary>Delimiters become pieces of their own.</summary>
    Isolated,

    /// <summary>Each delimiter is appended to the piece before it.</summary>
    MergedWithPrevious,

    /// <summary>Each delimiter is prepended to the piece after it.</summary>
    MergedWithNext,

    /// <summary>Runs of consecutive delimiters are merged into one piece.</summary>
    Contiguous,
}
