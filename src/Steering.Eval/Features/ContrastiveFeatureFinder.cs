using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Features;

/// <summary>Settings of the contrastive feature search.</summary>
public sealed record FeatureFinderOptions
{
    /// <summary>Each text is noised once per ratio (paper b App. C.5.2: {0.3, 0.5, 0.7}).</summary>
    public IReadOnlyList<double> MaskRatios { get; init; } = [0.3, 0.5, 0.7];
    /// <summary>Never mask the first token (BOS).</summary>
    public bool ProtectFirstToken { get; init; } = true;
    /// <summary>Seed of the noise (the same noise is drawn in both passes).</summary>
    public ulong Seed { get; init; }
    /// <summary>Ranking, testing and selection counts (top 300 tested, 50 kept, 20 steer per direction).</summary>
    public ContrastiveSelectionOptions Selection { get; init; } = new();
}

/// <summary>
/// Finds the SAE features that separate two classes of texts, as paper b's App. C.5.2 describes: each text is noised
/// at the mask ratios, run through the model, the residual at the SAE's layer is encoded with the dense ReLU encoding
/// (not TopK) and mean-pooled over positions — one value per feature per noised copy; per-class streaming moments
/// (Welford) give Cohen's d for every feature; the top |d| features are tested with Mann–Whitney U, Bonferroni
/// corrected; the strongest significant ones per direction form the steering set. Two passes over the data: moments
/// first, then raw values for the tested features only.
/// </summary>
public static class ContrastiveFeatureFinder
{
    /// <summary>Runs the search on token-id sequences of class A (positive direction) and class B.</summary>
    public static ContrastiveSelectionResult Find(IDenoiser model, ISparseAutoencoder sae, int layer, IReadOnlyList<long[]> classA,
        IReadOnlyList<long[]> classB, FeatureFinderOptions? options = null, HookPoint point = HookPoint.ResidPost,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new FeatureFinderOptions();
        if (sae.DIn != model.Spec.HiddenSize) throw new ArgumentException($"the SAE reads d_in = {sae.DIn} but the model's hidden size is {model.Spec.HiddenSize}");
        if (layer < 0 || layer >= model.Spec.NumLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {model.Spec.NumLayers - 1}]");
        if (classA.Count == 0 || classB.Count == 0) throw new ArgumentException("each class needs at least one text");
        if (options.MaskRatios.Count == 0 || options.MaskRatios.Any(r => !(r >= 0 && r < 1))) throw new ArgumentException("mask ratios must be in [0, 1)");
        if (classA.Concat(classB).Any(s => s.Length == 0)) throw new ArgumentException("texts must not be empty");

        var momentsA = new FeatureMoments(sae.DSae);
        var momentsB = new FeatureMoments(sae.DSae);
        var done = 0;
        foreach (var (cls, texts) in new[] { (ContrastiveClass.A, classA), (ContrastiveClass.B, classB) })
            for (var i = 0; i < texts.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var pooled = Pooled(model, sae, layer, point, texts[i], options, Key(cls, i, options.Seed));
                (cls == ContrastiveClass.A ? momentsA : momentsB).AddBatch(pooled);
                progress?.Report(++done);
            }
        var candidates = ContrastiveFeatureSelection.RankCandidates(momentsA, momentsB, options.Selection);
        var buffer = candidates.CreateSampleBuffer();
        foreach (var (cls, texts) in new[] { (ContrastiveClass.A, classA), (ContrastiveClass.B, classB) })
            for (var i = 0; i < texts.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                buffer.AddBatch(cls, Pooled(model, sae, layer, point, texts[i], options, Key(cls, i, options.Seed)));
                progress?.Report(++done);
            }
        return ContrastiveFeatureSelection.Select(candidates, buffer, options.Selection);
    }

    private static ulong Key(ContrastiveClass cls, int index, ulong seed) =>
        seed * 0x9E3779B97F4A7C15UL + (ulong)index * 2 + (cls == ContrastiveClass.A ? 0UL : 1UL);

    /// <summary>[copies × d_sae] mean-pooled dense SAE activations of one text, one row per mask ratio.</summary>
    private static float[] Pooled(IDenoiser model, ISparseAutoencoder sae, int layer, HookPoint point, long[] ids, FeatureFinderOptions options, ulong key)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(key);
        var copies = options.MaskRatios.Count;
        var clean = tensor(ids, [1, ids.Length], device: model.Device).expand(copies, ids.Length).contiguous();
        var rates = tensor(options.MaskRatios.Select(r => (float)r).ToArray(), device: model.Device);
        var protect = options.ProtectFirstToken ? MaskCorruption.ProtectPrefix(ids.Length, 1, model.Device) : null;
        using var corrupted = MaskCorruption.Corrupt(clean, rates, model.Spec.MaskTokenId, protect, generator);
        Tensor? residual = null;
        using (model.Hooks.Add(layer, point, (in HookContext c, Tensor r) => { residual = r.detach().clone().DetachFromDisposeScope(); return null; }))
            model.Forward(new DenoiserInput(corrupted.NoisyIds));
        using (residual)
        {
            var pooled = sae.DenseEncode(residual!).mean(1).to(ScalarType.Float32);   // [copies, d_sae]
            if (pooled.isnan().any().item<bool>()) throw new InvalidOperationException("NaN in SAE activations");
            return pooled.data<float>();
        }
    }
}
