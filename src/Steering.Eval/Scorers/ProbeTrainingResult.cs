using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>The probe of one layer: its cross-validated accuracy and the model refitted on all data.</summary>
/// <param name="Layer">Block index.</param>
/// <param name="CrossValidation">Per-fold held-out accuracy over all variants (clean and noised) of the held-out examples, with mean and spread.</param>
/// <param name="AccuracyByMaskRatio">Mean over folds of the held-out accuracy per variant: key 0 for clean examples, otherwise the mask ratio.</param>
/// <param name="Probe">The probe fitted on every example and variant.</param>
public sealed record LayerProbeResult(
    int Layer, CrossValidationResult CrossValidation, IReadOnlyDictionary<double, double> AccuracyByMaskRatio, ActivationProbe Probe);

/// <summary>Probes trained per layer by <see cref="ActivationProbeTrainer"/>.</summary>
/// <param name="Classes">Class names.</param>
/// <param name="Layers">One result per probed layer, in the order requested.</param>
/// <param name="ExampleCount">Labelled examples (before noised copies).</param>
public sealed record ProbeTrainingResult(IReadOnlyList<string> Classes, IReadOnlyList<LayerProbeResult> Layers, int ExampleCount)
{
    /// <summary>The layer with the highest mean cross-validated accuracy (the earliest on ties).</summary>
    public LayerProbeResult Best => Layers.OrderByDescending(l => l.CrossValidation.MeanAccuracy).ThenBy(l => l.Layer).First();

    /// <summary>The result for one layer.</summary>
    /// <param name="layer">A probed block index.</param>
    public LayerProbeResult ForLayer(int layer) =>
        Layers.FirstOrDefault(l => l.Layer == layer) ?? throw new ArgumentException($"Layer {layer} was not probed.", nameof(layer));

    /// <summary>A scorer applying the best layer's probe to <paramref name="model"/>.</summary>
    /// <param name="model">The denoiser the probes were trained on.</param>
    /// <param name="encode">Optional text encoder.</param>
    public ActivationProbeScorer ToScorer(IDenoiser model, Func<string, IReadOnlyList<long>>? encode = null) =>
        new(model, Best.Probe, encode);
}
