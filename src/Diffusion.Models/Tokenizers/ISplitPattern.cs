namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Something that finds delimiter matches in text (a regex or a literal string).</summary>
internal interface ISplitPattern
{
    /// <summary>Appends every non-overlapping match, left to right, as (start, end) UTF-16 offsets.</summary>
    /// <param name="text">The text to search.</param>
    /// <param name="matches">Receives the matches.</param>
    void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches);
}
