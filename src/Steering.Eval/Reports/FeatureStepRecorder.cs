using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>
/// A sampler observer that records, for chosen SAE features at one site, the activation at every denoising step on
/// positions masked and unmasked in the step's input (from <see cref="GeneratedFrom"/> on), pooled over rows and runs:
/// the data of the dashboard's "activation by denoising step and mask state" panel.
/// </summary>
public sealed class FeatureStepRecorder : ISamplerObserver
{
    private readonly ISparseAutoencoder _sae;
    private readonly long[] _features;
    private readonly bool _dense;
    // per step: [feature] sums, active counts; plus position counts per state
    private readonly List<double[]> _maskedSum = new(), _unmaskedSum = new();
    private readonly List<long[]> _maskedActive = new(), _unmaskedActive = new();
    private readonly List<long> _maskedCount = new(), _unmaskedCount = new();

    /// <summary>Creates the recorder.</summary>
    /// <param name="sae">The SAE of the site.</param>
    /// <param name="layer">Block index.</param>
    /// <param name="features">Features to record (at least one, in [0, d_sae)).</param>
    /// <param name="point">Hook point (block output by default).</param>
    /// <param name="generatedFrom">First position recorded (the prompt length).</param>
    /// <param name="dense">Read the dense ReLU encoding instead of the SAE's sparse code.</param>
    public FeatureStepRecorder(ISparseAutoencoder sae, int layer, IReadOnlyList<long> features, HookPoint point = HookPoint.ResidPost, int generatedFrom = 0, bool dense = false)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0) throw new ArgumentException("Record at least one feature.", nameof(features));
        foreach (var f in features)
            if (f < 0 || f >= sae.DSae) throw new ArgumentException($"Feature {f} is outside [0, {sae.DSae}).", nameof(features));
        if (layer < 0) throw new ArgumentException($"Layer must be ≥ 0; got {layer}.", nameof(layer));
        if (generatedFrom < 0) throw new ArgumentException($"generatedFrom must be ≥ 0; got {generatedFrom}.", nameof(generatedFrom));
        _sae = sae;
        _features = features.ToArray();
        _dense = dense;
        Site = new ResidualSite(layer, point);
        GeneratedFrom = generatedFrom;
    }

    /// <summary>Where the hidden states are read.</summary>
    public ResidualSite Site { get; }

    /// <summary>First recorded position.</summary>
    public int GeneratedFrom { get; }

    /// <summary>Recorded features.</summary>
    public IReadOnlyList<long> Features => _features;

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [Site];

    /// <inheritdoc />
    public void OnStep(SamplerStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (!step.HiddenStates.TryGetValue(Site, out var hidden)) throw new InvalidOperationException($"The sampler did not provide hidden states at {Site}.");
        var length = hidden.size(1);
        if (GeneratedFrom >= length) throw new InvalidOperationException($"The generated region starts at {GeneratedFrom} but sequences have {length} positions.");
        var region = hidden.narrow(1, GeneratedFrom, length - GeneratedFrom);
        var code = _dense ? _sae.DenseEncode(region) : _sae.Encode(region);
        var acts = code.index_select(-1, tensor(_features, device: code.device)).to(ScalarType.Float32).cpu().data<float>();   // [B, L', F]
        var masked = step.Context.MaskedPositions.narrow(1, GeneratedFrom, length - GeneratedFrom).cpu().data<bool>();         // [B, L']
        var f = _features.Length;
        var k = step.StepIndex;
        while (_maskedSum.Count <= k)
        {
            _maskedSum.Add(new double[f]);
            _unmaskedSum.Add(new double[f]);
            _maskedActive.Add(new long[f]);
            _unmaskedActive.Add(new long[f]);
            _maskedCount.Add(0);
            _unmaskedCount.Add(0);
        }
        for (var p = 0; p < masked.Length; p++)
        {
            var isMasked = masked[p];
            var sums = isMasked ? _maskedSum[k] : _unmaskedSum[k];
            var active = isMasked ? _maskedActive[k] : _unmaskedActive[k];
            for (var j = 0; j < f; j++)
            {
                var a = acts[p * f + j];
                if (float.IsNaN(a)) throw new ArgumentException($"Feature {_features[j]} has a NaN activation at step {k}.");
                sums[j] += a;
                if (a != 0) active[j]++;
            }
            if (isMasked) _maskedCount[k]++;
            else _unmaskedCount[k]++;
        }
    }

    /// <summary>The step profile of one recorded feature (NaN at steps without positions in a state).</summary>
    public FeatureStepProfile Profile(long feature)
    {
        var j = Array.IndexOf(_features, feature);
        if (j < 0) throw new ArgumentException($"Feature {feature} was not recorded.", nameof(feature));
        if (_maskedSum.Count == 0) throw new InvalidOperationException("Nothing was recorded.");
        var steps = _maskedSum.Count;
        double Ratio(double num, long den) => den == 0 ? double.NaN : num / den;
        return new FeatureStepProfile(
            Enumerable.Range(0, steps).Select(k => Ratio(_maskedSum[k][j], _maskedCount[k])).ToArray(),
            Enumerable.Range(0, steps).Select(k => Ratio(_unmaskedSum[k][j], _unmaskedCount[k])).ToArray())
        {
            MaskedActiveFraction = Enumerable.Range(0, steps).Select(k => Ratio(_maskedActive[k][j], _maskedCount[k])).ToArray(),
            UnmaskedActiveFraction = Enumerable.Range(0, steps).Select(k => Ratio(_unmaskedActive[k][j], _unmaskedCount[k])).ToArray(),
        };
    }
}
