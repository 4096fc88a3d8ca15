using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.DecodingOrder;

/// <summary>
/// A sampler observer that measures DLM-Scope's decoding-order metrics (Eqs. 20–24, see <see cref="DecodingOrderMath"/>)
/// while a diffusion LM samples: at every step and every requested layer it encodes the step's hidden states [B, L, d]
/// with that layer's SAE, keeps each position's top-K latent set and top-1 latent, and compares them with the previous
/// step (pre-mask stability and lock rate on still-masked positions, drift and flips on decoded ones). Add it to one
/// or more sampling runs (a run starts at step 0; every run is pooled, each row is a bootstrap unit), then call
/// <see cref="Result"/>. Under classifier-free guidance only the conditional rows are read.
/// </summary>
public sealed class DecodingOrderObserver : ISamplerObserver
{
    private readonly (ResidualSite Site, ISparseAutoencoder Sae, LayerAccumulator Accumulator)[] _layers;

    /// <summary>Observes each site with its own SAE.</summary>
    /// <param name="saes">SAE per residual site (at least one).</param>
    /// <param name="options">Top-K, code, bins, drift reference; defaults when null.</param>
    public DecodingOrderObserver(IReadOnlyDictionary<ResidualSite, ISparseAutoencoder> saes, DecodingOrderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(saes);
        if (saes.Count == 0) throw new ArgumentException("Observe at least one residual site.", nameof(saes));
        Options = options ?? DecodingOrderOptions.Default;
        Options.Validate();
        _layers = saes.Select(kv => (kv.Key, kv.Value ?? throw new ArgumentException($"The SAE of site {kv.Key} is null.", nameof(saes)), new LayerAccumulator(kv.Key.Layer, Options))).ToArray();
    }

    /// <summary>Observes several layers (at one hook point) with the same SAE.</summary>
    /// <param name="sae">The SAE.</param>
    /// <param name="layers">Block indices (at least one, distinct).</param>
    /// <param name="point">Hook point (block output by default, DLM-Scope's <c>resid_post</c>).</param>
    /// <param name="options">Settings; defaults when null.</param>
    public DecodingOrderObserver(ISparseAutoencoder sae, IEnumerable<int> layers, HookPoint point = HookPoint.ResidPost, DecodingOrderOptions? options = null)
        : this(BuildMap(sae, layers, point), options)
    {
    }

    private static Dictionary<ResidualSite, ISparseAutoencoder> BuildMap(ISparseAutoencoder sae, IEnumerable<int> layers, HookPoint point)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(layers);
        var map = new Dictionary<ResidualSite, ISparseAutoencoder>();
        foreach (var layer in layers)
        {
            if (layer < 0) throw new ArgumentException($"Layer indices must be ≥ 0; got {layer}.", nameof(layers));
            if (!map.TryAdd(new ResidualSite(layer, point), sae)) throw new ArgumentException($"Layer {layer} is listed twice.", nameof(layers));
        }
        return map;
    }

    /// <summary>The settings.</summary>
    public DecodingOrderOptions Options { get; }

    /// <summary>Observed sites, in order.</summary>
    public IReadOnlyList<ResidualSite> Sites => _layers.Select(l => l.Site).ToArray();

    /// <inheritdoc />
    public IReadOnlyCollection<ResidualSite> HiddenStateRequests => Sites;

    /// <inheritdoc />
    public void OnStep(SamplerStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var context = step.Context;
        var masked = context.MaskedPositions.cpu().data<bool>();
        foreach (var (site, sae, accumulator) in _layers)
        {
            if (!step.HiddenStates.TryGetValue(site, out var hidden))
                throw new InvalidOperationException($"The sampler did not provide hidden states at {site}.");
            if (hidden.dim() != 3) throw new ArgumentException($"Hidden states at {site} must be [B, L, d]; got {hidden.dim()} dimensions.");
            int rows = (int)hidden.size(0), length = (int)hidden.size(1);
            if (masked.Length != rows * length)
                throw new ArgumentException($"The mask has {masked.Length} entries but the hidden states at {site} hold {rows} × {length} positions.");
            if (hidden.size(2) != sae.DIn)
                throw new ArgumentException($"Hidden size {hidden.size(2)} at {site} does not match the SAE's input width {sae.DIn}.");
            if (context.StepIndex == 0) accumulator.BeginRun(rows, length, context.TotalSteps);
            else if (!accumulator.InRun) throw new InvalidOperationException($"The observer joined a run at step {context.StepIndex}; it must see step 0.");
            else if (accumulator.Rows != rows) throw new InvalidOperationException($"The run changed from {accumulator.Rows} to {rows} rows.");

            var code = (Options.Code == LatentCode.Sparse ? sae.Encode(hidden) : sae.DenseEncode(hidden)).to(ScalarType.Float32);
            if (code.isnan().any().item<bool>())
                throw new ArgumentException($"The SAE code at {site}, step {context.StepIndex} contains NaN activations.");
            var k = Math.Min(Options.TopK, sae.DSae);
            var (values, indices) = code.topk(k, -1);
            var (absMax, argMax) = code.abs().max(-1);
            var v = values.cpu().data<float>();
            var idx = indices.cpu().data<long>();
            var top = absMax.cpu().data<float>();
            var arg = argMax.cpu().data<long>();
            var n = rows * length;
            var sets = new int[n][];
            var top1 = new int[n];
            var buffer = new List<int>(k);
            for (var p = 0; p < n; p++)
            {
                buffer.Clear();
                for (var j = 0; j < k; j++)
                    if (v[p * k + j] > 0) buffer.Add((int)idx[p * k + j]);
                buffer.Sort();
                sets[p] = buffer.ToArray();
                top1[p] = top[p] > 0 ? (int)arg[p] : -1;
            }
            accumulator.Step(context.StepIndex, sets, top1, masked);
        }
    }

    /// <summary>The metrics over everything observed so far (finishes the run in progress).</summary>
    public DecodingOrderResult Result() => new(_layers.Select(l => l.Accumulator.Build()).ToArray());
}
