namespace DiffusionSteering.Steering.Eval.DecodingOrder;

/// <summary>
/// Step-by-step state of the decoding-order metrics for one layer (shared by <see cref="DecodingOrderMath.Evaluate"/>
/// and <see cref="DecodingOrderObserver"/>). Positions are flattened as row · positions + position.
/// </summary>
internal sealed class LayerAccumulator
{
    private readonly int _layer;
    private readonly DecodingOrderOptions _options;
    private readonly SeriesAccumulator _pre, _drift, _lock, _flipRate, _flipCount;
    private readonly List<int> _flipCounts = new();
    private int _units, _runs;

    private bool _inRun;
    private int _rows, _positions, _totalSteps, _lastStep, _unitBase;
    private int[][] _prevSets = [];
    private int[] _prevTop1 = [];
    private bool[] _prevMasked = [];
    private bool[] _everMasked = [];
    private int[] _tau = [];
    private int[][] _tauSets = [];
    private int[] _flips = [];

    public LayerAccumulator(int layer, DecodingOrderOptions options)
    {
        _layer = layer;
        _options = options;
        var bins = options.ProgressBins;
        _pre = new SeriesAccumulator("pre-mask stability", bins);
        _drift = new SeriesAccumulator("post-decode drift", bins);
        _lock = new SeriesAccumulator("top-1 lock rate", bins);
        _flipRate = new SeriesAccumulator("post-decode flip rate", bins);
        _flipCount = new SeriesAccumulator("post-decode flip count", bins);
    }

    public void BeginRun(int rows, int positions, int totalSteps)
    {
        if (_inRun) EndRun();
        if (rows < 1 || positions < 1) throw new ArgumentException($"A run needs at least one row and one position; got {rows} × {positions}.");
        if (totalSteps < 1) throw new ArgumentException($"A run needs at least one step; got {totalSteps}.");
        _inRun = true;
        _rows = rows;
        _positions = positions;
        _totalSteps = totalSteps;
        _lastStep = -1;
        _unitBase = _units;
        _units += rows;
        _runs++;
        var n = rows * positions;
        _prevSets = new int[n][];
        _prevTop1 = new int[n];
        _prevMasked = new bool[n];
        _everMasked = new bool[n];
        _tau = Enumerable.Repeat(-1, n).ToArray();
        _tauSets = new int[n][];
        _flips = new int[n];
        foreach (var s in new[] { _pre, _drift, _lock, _flipRate, _flipCount }) s.EnsureUnit(_units - 1);
    }

    /// <summary>Feeds step <paramref name="step"/>: top-K sets, top-1 latents and input mask of every (row, position).</summary>
    public void Step(int step, int[][] sets, int[] top1, bool[] masked)
    {
        if (!_inRun) throw new InvalidOperationException("No run is in progress (the first observed step must have index 0).");
        if (step != _lastStep + 1)
            throw new InvalidOperationException($"Steps must arrive in order: expected step {_lastStep + 1}, got {step}.");
        if (step >= _totalSteps) throw new InvalidOperationException($"Step {step} is beyond the run's {_totalSteps} steps.");
        var n = _rows * _positions;
        if (sets.Length != n || top1.Length != n || masked.Length != n)
            throw new ArgumentException($"Expected {n} entries per step, got {sets.Length} sets, {top1.Length} top-1 and {masked.Length} mask entries.");

        if (step > 0)
        {
            for (var p = 0; p < n; p++)
            {
                var unit = _unitBase + p / _positions;
                // τᵢ: the first step whose input holds a token at a position that was masked before.
                if (_tau[p] < 0 && _everMasked[p] && !masked[p])
                {
                    _tau[p] = step;
                    _tauSets[p] = sets[p];
                }
                if (_prevMasked[p] && masked[p])
                {
                    _pre.Add(unit, step, _totalSteps, DecodingOrderMath.Jaccard(sets[p], _prevSets[p]));                // Eq. 20
                    _lock.Add(unit, step, _totalSteps, top1[p] == _prevTop1[p] ? 1.0 : 0.0);                         // Eq. 23
                }
                if (_tau[p] >= 0 && step > _tau[p])
                {
                    var reference = _options.Drift == DriftReference.PreviousStep ? _prevSets[p] : _tauSets[p];
                    _drift.Add(unit, step, _totalSteps, 1.0 - DecodingOrderMath.Jaccard(sets[p], reference));        // Eq. 21
                    var flipped = top1[p] != _prevTop1[p];
                    _flipRate.Add(unit, step, _totalSteps, flipped ? 1.0 : 0.0);
                    if (flipped) _flips[p]++;                                                                        // Eq. 24
                }
            }
        }
        for (var p = 0; p < n; p++) _everMasked[p] |= masked[p];
        _prevSets = sets;
        _prevTop1 = top1;
        _prevMasked = masked;
        _lastStep = step;
    }

    public void EndRun()
    {
        if (!_inRun) return;
        var n = _rows * _positions;
        for (var p = 0; p < n; p++)
        {
            if (_tau[p] < 0) continue;
            _flipCounts.Add(_flips[p]);
            _flipCount.Add(_unitBase + p / _positions, _tau[p], _totalSteps, _flips[p]);
        }
        _inRun = false;
    }

    public bool InRun => _inRun;

    public int Rows => _rows;

    public DecodingOrderLayerResult Build()
    {
        EndRun();
        return new DecodingOrderLayerResult(_layer, _options, _runs, _units, _pre.Build(), _drift.Build(), _lock.Build(), _flipRate.Build(), _flipCount.Build(), _flipCounts.ToArray());
    }
}
