namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// The <c>Split</c> pre-tokenizer: finds delimiters with a pattern and splits around them according to a
/// <see cref="SplitBehavior"/>, optionally inverting which parts count as delimiters.
/// </summary>
internal sealed class SplitPreTokenizer : IPreTokenizer
{
    private readonly ISplitPattern _pattern;
    private readonly SplitBehavior _behavior;
    private readonly bool _invert;

    /// <summary>Creates the pre-tokenizer.</summary>
    /// <param name="pattern">Finds the delimiters.</param>
    /// <param name="behavior">What to do with delimiters.</param>
    /// <param name="invert">Whether the pattern matches the pieces to keep rather than the delimiters.</param>
    public SplitPreTokenizer(ISplitPattern pattern, SplitBehavior behavior, bool invert)
    {
        _pattern = pattern;
        _behavior = behavior;
        _invert = invert;
    }

    /// <inheritdoc/>
    public void PreTokenize(string piece, List<string> output)
    {
        foreach (var (start, end) in Split(piece)) output.Add(piece.Substring(start, end - start));
    }

    /// <summary>Computes the pieces of <paramref name="text"/> as (start, end) offsets; empty pieces are omitted.</summary>
    /// <param name="text">The text to split.</param>
    /// <returns>The non-empty pieces, in order.</returns>
    public List<(int Start, int End)> Split(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return [];
        var matches = new List<(int Start, int End)>();
        _pattern.FindMatches(text, matches);

        var spans = new List<(int Start, int End, bool IsDelimiter)>(matches.Count * 2 + 1);
        int previous = 0;
        foreach (var (start, end) in matches)
        {
            if (previous != start) spans.Add((previous, start, _invert));
            spans.Add((start, end, !_invert));
            previous = end;
        }
        if (previous != text.Length) spans.Add((previous, text.Length, _invert));

        var pieces = ApplyBehavior(spans);
        pieces.RemoveAll(static p => p.End <= p.Start);
        return pieces;
    }

    private List<(int Start, int End)> ApplyBehavior(List<(int Start, int End, bool IsDelimiter)> spans)
    {
        var result = new List<(int Start, int End)>(spans.Count);
        bool previousIsDelimiter = false;
        switch (_behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var s in spans) result.Add((s.Start, s.End));
                break;
            case SplitBehavior.Removed:
                foreach (var s in spans)
                    if (!s.IsDelimiter) result.Add((s.Start, s.End));
                break;
            case SplitBehavior.Contiguous:
                foreach (var s in spans)
                {
                    if (s.IsDelimiter == previousIsDelimiter && result.Count > 0)
                        result[^1] = (result[^1].Start, s.End);
                    else
                        result.Add((s.Start, s.End));
                    previousIsDelimiter = s.IsDelimiter;
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var s in spans)
                {
                    if (s.IsDelimiter && !previousIsDelimiter && result.Count > 0)
                        result[^1] = (result[^1].Start, s.End);
                    else
                        result.Add((s.Start, s.End));
                    previousIsDelimiter = s.IsDelimiter;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsDelimiter && !previousIsDelimiter && result.Count > 0)
                        result[^1] = (s.Start, result[^1].End);
                    else
                        result.Add((s.Start, s.End));
                    previousIsDelimiter = s.IsDelimiter;
                }
                result.Reverse();
                break;
            default:
                throw new InvalidOperationException("Unhandled split behavior " + _behavior);
        }
        return result;
    }
}
