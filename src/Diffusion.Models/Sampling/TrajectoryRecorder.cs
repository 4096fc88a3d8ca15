using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>
/// Records, for every position of every row, the step at which it was decoded (τ: the first step after which it holds
/// a token; −1 if never masked or never decoded) and how often an already-decoded token was changed or re-masked.
/// </summary>
public sealed class TrajectoryRecorder : ISamplerObserver
{
    private long[,]? _decodeStep;
    private int[,]? _revisions;

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [];

    /// <summary>Steps observed so far.</summary>
    public int StepsObserved { get; private set; }

    /// <summary>Decode step τ per [row, position] (−1: never decoded during the run).</summary>
    public long[,] DecodeStep => _decodeStep ?? new long[0, 0];

    /// <summary>Revisions per [row, position]: a decoded token replaced by another token or by the mask.</summary>
    public int[,] Revisions => _revisions ?? new int[0, 0];

    /// <summary>τ / total steps, in (0, 1] for decoded positions and −1 otherwise.</summary>
    public double[,] NormalizedDecodeStep(int totalSteps)
    {
        var tau = DecodeStep;
        var result = new double[tau.GetLength(0), tau.GetLength(1)];
        for (var r = 0; r < tau.GetLength(0); r++)
            for (var p = 0; p < tau.GetLength(1); p++)
                result[r, p] = tau[r, p] < 0 ? -1 : (tau[r, p] + 1.0) / totalSteps;
        return result;
    }

    /// <inheritdoc />
    public void OnStep(SamplerStep step)
    {
        var before = step.Context.Sequence.data<long>();
        var after = step.SequenceAfter.data<long>();
        var maskedBefore = step.Context.MaskedPositions.data<bool>();
        using var afterMaskedTensor = step.SequenceAfter.eq(step.Context.MaskTokenId);
        var afterMasked = afterMaskedTensor.data<bool>();
        var shape = step.SequenceAfter.shape;
        int rows = (int)shape[0], length = (int)shape[1];
        if (_decodeStep is null)
        {
            _decodeStep = new long[rows, length];
            _revisions = new int[rows, length];
            for (var r = 0; r < rows; r++) for (var p = 0; p < length; p++) _decodeStep[r, p] = -1;
        }
        for (var r = 0; r < rows; r++)
        {
            for (var p = 0; p < length; p++)
            {
                var i = r * length + p;
                if (maskedBefore[i] && !afterMasked[i] && _decodeStep[r, p] < 0) _decodeStep[r, p] = step.StepIndex;
                else if (!maskedBefore[i] && before[i] != after[i] && _decodeStep[r, p] >= 0) _revisions![r, p]++;
            }
        }
        StepsObserved++;
    }
}
