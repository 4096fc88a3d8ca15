using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Commitment;

/// <summary>
/// Records, during sampling, the SAE activations of tracked features at every step (paper b, App. C "dynamics
/// recording"): the hidden state of the step's forward pass is encoded with the SAE's dense ReLU encoding, the tracked
/// features are averaged over the generated positions, giving an N × T × F record per layer; it also counts the tokens
/// committed at each step (for the token cost model). Add it as an observer to one or more sampling runs.
/// </summary>
public sealed class CommitmentRecorder : ISamplerObserver
{
    private readonly ISparseAutoencoder _sae;
    private readonly long[] _features;
    private readonly List<double[,]> _runs = new();          // per run: [rows·steps, F] flattened later
    private readonly List<double[]> _committed = new();      // per run: [steps] mean tokens committed per row
    private readonly List<int> _runRows = new();
    private List<double[]>? _current;                        // per step: [rows·F]
    private List<double>? _currentCommitted;
    private int _currentRows;

    /// <summary>Creates the recorder.</summary>
    public CommitmentRecorder(ISparseAutoencoder sae, int layer, IReadOnlyList<long> features, HookPoint point = HookPoint.ResidPost, int generatedFrom = 0)
    {
        if (features.Count == 0) throw new ArgumentException("track at least one feature", nameof(features));
        foreach (var f in features)
            if (f < 0 || f >= sae.DSae) throw new ArgumentOutOfRangeException(nameof(features), f, $"feature must be in [0, {sae.DSae})");
        if (generatedFrom < 0) throw new ArgumentOutOfRangeException(nameof(generatedFrom), generatedFrom, "must be ≥ 0");
        _sae = sae;
        _features = features.ToArray();
        Site = new ResidualSite(layer, point);
        GeneratedFrom = generatedFrom;
    }

    /// <summary>Where the hidden state is read.</summary>
    public ResidualSite Site { get; }

    /// <summary>First position of the generated region (the prompt length); activations are averaged from here on.</summary>
    public int GeneratedFrom { get; set; }

    /// <summary>Tracked features.</summary>
    public IReadOnlyList<long> Features => _features;

    /// <summary>Rows recorded over all runs.</summary>
    public int Samples => _runRows.Sum();

    /// <summary>Steps per run (0 before the first run).</summary>
    public int Steps { get; private set; }

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [Site];

    /// <inheritdoc />
    public void OnStep(SamplerStep step)
    {
        if (step.StepIndex == 0)
        {
            FinishRun();
            _current = new List<double[]>();
            _currentCommitted = new List<double>();
        }
        if (_current is null || _currentCommitted is null) throw new InvalidOperationException("the recorder joined a run after its first step");
        using var scope = NewDisposeScope();
        var hidden = step.HiddenStates[Site];                                        // [B, L, d]
        var length = hidden.size(1);
        if (GeneratedFrom >= length) throw new InvalidOperationException($"generated region starts at {GeneratedFrom} but sequences have {length} positions");
        var region = hidden.narrow(1, GeneratedFrom, length - GeneratedFrom);
        var featureIndex = tensor(_features, device: hidden.device);
        var activations = _sae.DenseEncode(region).index_select(-1, featureIndex);   // [B, L', F]
        var perRow = activations.mean(1).to(ScalarType.Float64).data<double>();    // [B·F]
        _currentRows = (int)hidden.size(0);
        _current.Add(perRow);
        _currentCommitted.Add(step.Committed.sum().item<long>() / (double)_currentRows);
        Steps = Math.Max(Steps, step.StepIndex + 1);
    }

    private void FinishRun()
    {
        if (_current is null || _current.Count == 0) return;
        if (_runs.Count > 0 && _current.Count != Steps)
            throw new InvalidOperationException($"runs must have the same number of steps ({Steps}), got {_current.Count}");
        var f = _features.Length;
        var record = new double[_currentRows * _current.Count, f];
        for (var t = 0; t < _current.Count; t++)
            for (var r = 0; r < _currentRows; r++)
                for (var j = 0; j < f; j++)
                    record[r * _current.Count + t, j] = _current[t][r * f + j];
        _runs.Add(record);
        _committed.Add(_currentCommitted!.ToArray());
        _runRows.Add(_currentRows);
        _current = null;
        _currentCommitted = null;
    }

    /// <summary>The N × T × F record (rows of all runs in order).</summary>
    public double[,,] Record()
    {
        FinishRun();
        var n = Samples;
        var result = new double[n, Steps, _features.Length];
        var row = 0;
        for (var run = 0; run < _runs.Count; run++)
        {
            var rows = _runRows[run];
            for (var r = 0; r < rows; r++, row++)
                for (var t = 0; t < Steps; t++)
                    for (var j = 0; j < _features.Length; j++)
                        result[row, t, j] = _runs[run][r * Steps + t, j];
        }
        return result;
    }

    /// <summary>
    /// Builds the commitment profile from the recorded samples that <paramref name="keep"/> accepts (all when null):
    /// h̄(t) = mean over kept samples and tracked features, then emergence, block fractions, s_t, c_t.
    /// </summary>
    public CommitmentProfile BuildProfile(string model, string attribute, IReadOnlyList<bool>? keep = null, int smoothingWindow = 1,
        int blocks = 8, CostModel costModel = CostModel.Uniform, IReadOnlyDictionary<string, string>? settings = null)
    {
        var record = Record();
        var n = record.GetLength(0);
        if (n == 0) throw new InvalidOperationException("nothing was recorded");
        if (keep is not null && keep.Count != n) throw new ArgumentException($"keep has {keep.Count} entries for {n} recorded samples");
        var kept = Enumerable.Range(0, n).Where(i => keep?[i] ?? true).ToArray();
        if (kept.Length == 0) throw new InvalidOperationException("the acceptance filter kept no sample");
        var mean = new double[Steps];
        for (var t = 0; t < Steps; t++)
        {
            double sum = 0;
            foreach (var i in kept)
                for (var j = 0; j < _features.Length; j++) sum += record[i, t, j];
            mean[t] = sum / (kept.Length * _features.Length);
        }
        var committed = new double[Steps];
        foreach (var run in _committed) for (var t = 0; t < Steps; t++) committed[t] += run[t] / _committed.Count;
        return CommitmentProfile.FromCurve(model, attribute, Site.Layer, _features, mean, smoothingWindow, blocks, costModel, committed, n, kept.Length, settings)
            with { HookPoint = Site.Point.ToString() };
    }
}
