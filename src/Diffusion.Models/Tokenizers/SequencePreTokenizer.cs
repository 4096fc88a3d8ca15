namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Applies several pre-tokenizers in order, each to every piece the previous one produced.</summary>
internal sealed class SequencePreTokenizer : IPreTokenizer
{
    private readonly IPreTokenizer[] _stages;

    /// <summary>Creates the sequence.</summary>
    /// <param name="stages">The pre-tokenizers, applied first to last.</param>
    public SequencePreTokenizer(IEnumerable<IPreTokenizer> stages) => _stages = stages.ToArray();

    /// <inheritdoc/>
    public void PreTokenize(string piece, List<string> output)
    {
        if (piece.Length == 0) return;
        if (_stages.Length == 0)
        {
            output.Add(piece);
            return;
        }
        var current = new List<string> { piece };
        for (int s = 0; s < _stages.Length; s++)
        {
            var target = s == _stages.Length - 1 ? output : new List<string>(current.Count);
            foreach (var p in current) _stages[s].PreTokenize(p, target);
            current = target;
        }
    }
}
