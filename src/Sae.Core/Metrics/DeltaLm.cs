using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Metrics;

/// <summary>How <see cref="DeltaLm"/> corrupts the held-out sequences.</summary>
public sealed record DeltaLmOptions
{
    /// <summary>Lowest mask rate t (DLM-Scope: 0.05).</summary>
    public double MaskRateMin { get; init; } = 0.05;
    /// <summary>Highest mask rate t (DLM-Scope: 0.5).</summary>
    public double MaskRateMax { get; init; } = 0.5;
    /// <summary>Never mask the first token.</summary>
    public bool ProtectFirstToken { get; init; } = true;
    /// <summary>Also replace position 0's residual by its reconstruction.</summary>
    public bool SpliceFirstToken { get; init; } = true;
    /// <summary>Sequences per forward pass.</summary>
    public int SequencesPerForward { get; init; } = 8;
    /// <summary>Seed of the corruption.</summary>
    public ulong Seed { get; init; }
    /// <summary>Padding id (default: the model's pad, else EOS, else 0).</summary>
    public long? PadTokenId { get; init; }
    /// <summary>Mask-rate buckets (default: DLM-Scope's range in thirds).</summary>
    public MaskRateBuckets? Buckets { get; init; }
}

/// <summary>Clean and SAE-spliced diffusion losses on one set of corrupted sequences.</summary>
/// <param name="Sequences">Sequences evaluated.</param>
/// <param name="MaskedTokens">Masked positions (the terms of the masked loss).</param>
/// <param name="CleanLoss">L_DLM (Eq. 7 as DLM-Scope evaluates it): Σ_masked CE/t ÷ #masked.</param>
/// <param name="SaeLoss">The same with the SAE reconstruction spliced in at the site.</param>
/// <param name="UnmaskedTokens">Visible non-padding positions (excluding a protected first token).</param>
/// <param name="CleanUnmaskedLoss">DLM-Scope's unmask-only variant: Σ_unmasked CE/(1 − t) ÷ #unmasked.</param>
/// <param name="SaeUnmaskedLoss">The unmask-only variant with the SAE spliced in.</param>
public sealed record DeltaLmScores(long Sequences, long MaskedTokens, double CleanLoss, double SaeLoss, long UnmaskedTokens,
    double CleanUnmaskedLoss, double SaeUnmaskedLoss)
{
    /// <summary>ΔL (DLM-Scope Eq. 16) = L_SAE − L_clean on the same corrupted batch (negative: the splice lowers the loss).</summary>
    public double Delta => SaeLoss - CleanLoss;
    /// <summary>Unmask-only ΔL.</summary>
    public double DeltaUnmasked => SaeUnmaskedLoss - CleanUnmaskedLoss;
}

/// <summary>ΔLM overall and per mask-rate bucket of the sequences' t.</summary>
/// <param name="Overall">All sequences.</param>
/// <param name="Buckets">Per bucket (null where no sequence fell).</param>
public sealed record DeltaLmResult(DeltaLmScores Overall, IReadOnlyList<(double Low, double High, DeltaLmScores? Scores)> Buckets)
{
    /// <summary>ΔL overall.</summary>
    public double Delta => Overall.Delta;
}

/// <summary>
/// ΔLM (DLM-Scope Eq. 16): the 1/t-weighted masked cross-entropy of the model with the SAE reconstruction x̂ spliced
/// into the residual stream at one site (a hook replaces the residual at every position), minus the clean value, both
/// on the SAME corrupted batch (one t ~ U[t_min, t_max] per sequence, the first token protected).
/// </summary>
public static class DeltaLm
{
    /// <summary>Evaluates ΔLM on held-out token sequences.</summary>
    public static DeltaLmResult Evaluate(IDenoiser model, ISparseAutoencoder sae, ResidualSite site, IReadOnlyList<long[]> sequences,
        DeltaLmOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        options ??= new DeltaLmOptions();
        if (sae.DIn != model.Spec.HiddenSize)
            throw new ArgumentException($"the SAE reads d_in = {sae.DIn} but the model's hidden size is {model.Spec.HiddenSize}", nameof(sae));
        if (site.Layer < 0 || site.Layer >= model.Spec.NumLayers) throw new ArgumentOutOfRangeException(nameof(site), $"layer {site.Layer} is outside the model");
        if (sequences.Count == 0 || sequences.Any(s => s is not { Length: > 0 })) throw new ArgumentException("give non-empty sequences", nameof(sequences));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SequencesPerForward, 1);
        var buckets = options.Buckets ?? MaskRateBuckets.DlmScopeThirds;
        var groups = buckets.Count + 1;
        var sums = Enumerable.Range(0, groups).Select(_ => new Sums()).ToArray();
        using var generator = new Generator(options.Seed, model.Device);
        var pad = options.PadTokenId ?? ModelInputs.DefaultPad(model.Spec);

        for (var start = 0; start < sequences.Count; start += options.SequencesPerForward)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = sequences.Skip(start).Take(options.SequencesPerForward).ToList();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (ids, valid, length) = ModelInputs.Pad(chunk, pad);
            var batch = chunk.Count;
            var device = model.Device;
            var clean = tensor(ids, [batch, length], device: device);
            var validT = tensor(valid, [batch, length], device: device);
            var first = arange(0, length, ScalarType.Int64, device).eq(0).unsqueeze(0);
            var protect = validT.logical_not();
            if (options.ProtectFirstToken) protect = protect.logical_or(first);
            var rates = MaskCorruption.SampleMaskRates(batch, options.MaskRateMin, options.MaskRateMax, generator, device);
            var corrupted = MaskCorruption.Corrupt(clean, rates, model.Spec.MaskTokenId, protect, generator);
            var input = ModelInputs.For(model, corrupted.NoisyIds, chunk.Any(s => s.Length < length) ? validT : null, rates);

            var cleanNll = DlmLoss.TokenNll(model, model.Forward(input), corrupted.NoisyIds, clean);
            Tensor saeNll;
            using (model.Hooks.Add(site.Layer, site.Point, (in HookContext context, Tensor residual) => Splice(sae, residual, options.SpliceFirstToken)))
                saeNll = DlmLoss.TokenNll(model, model.Forward(input), corrupted.NoisyIds, clean);

            var masked = corrupted.MaskedPositions.to(ScalarType.Float32);
            var unmasked = validT.logical_and(corrupted.MaskedPositions.logical_not()).logical_and(options.ProtectFirstToken ? first.logical_not() : ones_like(first)).to(ScalarType.Float32);
            var maskedWeight = masked / rates.unsqueeze(1);
            var unmaskedWeight = unmasked / (1 - rates).clamp_min(1e-12).unsqueeze(1);
            // Per row: [#masked, Σ CE/t clean, Σ CE/t SAE, #unmasked, Σ CE/(1−t) clean, Σ CE/(1−t) SAE].
            var perRow = stack([masked.sum(1), (cleanNll * maskedWeight).sum(1), (saeNll * maskedWeight).sum(1),
                unmasked.sum(1), (cleanNll * unmaskedWeight).sum(1), (saeNll * unmaskedWeight).sum(1)], 1).to(CPU, ScalarType.Float64).data<double>();
            var rowRates = rates.to(CPU, ScalarType.Float64).data<double>();
            for (var r = 0; r < batch; r++)
            {
                var row = perRow.AsSpan(r * 6, 6);
                sums[0].Add(row);
                var b = buckets.IndexOf(rowRates[r]);
                if (b >= 0) sums[b + 1].Add(row);
            }
        }
        var overall = sums[0].Scores() ?? throw new InvalidOperationException("no sequence was evaluated");
        var perBucket = new List<(double, double, DeltaLmScores?)>();
        for (var b = 0; b < buckets.Count; b++)
        {
            var (low, high) = buckets[b];
            perBucket.Add((low, high, sums[b + 1].Scores()));
        }
        return new DeltaLmResult(overall, perBucket);
    }

    private static Tensor Splice(ISparseAutoencoder sae, Tensor residual, bool spliceFirstToken)
    {
        using var scope = NewDisposeScope();
        var (reconstruction, _) = sae.Forward(residual.to(sae.Device, sae.DType));
        var spliced = reconstruction.to(residual.device, residual.dtype);
        if (!spliceFirstToken)
            spliced = cat([residual.narrow(1, 0, 1), spliced.narrow(1, 1, residual.size(1) - 1)], 1);
        return spliced.MoveToOuterDisposeScope();
    }

    private sealed class Sums
    {
        private long _sequences;
        private double _masked, _clean, _sae, _unmasked, _cleanUnmasked, _saeUnmasked;

        public void Add(ReadOnlySpan<double> row)
        {
            _sequences++;
            _masked += row[0];
            _clean += row[1];
            _sae += row[2];
            _unmasked += row[3];
            _cleanUnmasked += row[4];
            _saeUnmasked += row[5];
        }

        public DeltaLmScores? Scores()
        {
            if (_sequences == 0) return null;
            var (masked, unmasked) = (_masked, _unmasked);
            double M(double v) => masked > 0 ? v / masked : double.NaN;
            double U(double v) => unmasked > 0 ? v / unmasked : double.NaN;
            return new DeltaLmScores(_sequences, (long)_masked, M(_clean), M(_sae), (long)_unmasked, U(_cleanUnmasked), U(_saeUnmasked));
        }
    }
}
