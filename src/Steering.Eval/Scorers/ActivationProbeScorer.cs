using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// Applies an <see cref="ActivationProbe"/> to the model's own activations: text → token ids (tokenizer or any
/// encoder) → <see cref="IDenoiser.Forward"/> with a read hook at the probe's layer → mean over positions → the probe's
/// logistic regression. Token id sequences can be scored directly (<see cref="PredictIds(IReadOnlyList{long})"/>), which
/// needs no tokenizer.
/// </summary>
/// <remarks>
/// The scorer does not own the model (it is not disposed here). Scoring runs forward passes on it and adds temporary
/// hooks; do not score concurrently with other work on the same model.
/// </remarks>
public sealed class ActivationProbeScorer : AttributeScorer
{
    private readonly Func<string, IReadOnlyList<long>>? _encode;

    /// <summary>Creates a scorer with an optional text encoder.</summary>
    /// <param name="model">The denoiser the probe was trained on (same width and at least as many layers).</param>
    /// <param name="probe">The probe.</param>
    /// <param name="encode">Text → token ids; without it only the id-based methods work.</param>
    /// <param name="batchSize">Sequences per forward pass when scoring many.</param>
    public ActivationProbeScorer(IDenoiser model, ActivationProbe probe, Func<string, IReadOnlyList<long>>? encode = null, int batchSize = MeanPooledActivations.DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(probe);
        if (probe.Layer >= model.Spec.NumLayers)
        {
            throw new ArgumentException($"The probe reads layer {probe.Layer}, but the model has only {model.Spec.NumLayers} blocks.", nameof(probe));
        }

        if (probe.HiddenSize != model.Spec.HiddenSize)
        {
            throw new ArgumentException(
                $"The probe expects {probe.HiddenSize}-dimensional activations, but the model's residual stream has {model.Spec.HiddenSize}.", nameof(probe));
        }

        if (batchSize < 1)
        {
            throw new ArgumentException($"Batch size must be at least 1; got {batchSize}.", nameof(batchSize));
        }

        Denoiser = model;
        Probe = probe;
        BatchSize = batchSize;
        _encode = encode;
    }

    /// <summary>Creates a scorer that encodes text with a tokenizer.</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="probe">The probe.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="addSpecialTokens">Whether the tokenizer adds its special tokens (use what the probe was trained with).</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    public ActivationProbeScorer(IDenoiser model, ActivationProbe probe, Tokenizer tokenizer, bool addSpecialTokens = true, int batchSize = MeanPooledActivations.DefaultBatchSize)
        : this(model, probe, EncoderOf(tokenizer, addSpecialTokens), batchSize)
    {
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> Classes => Probe.Classes;

    /// <summary>The denoiser whose activations are probed.</summary>
    public IDenoiser Denoiser { get; }

    /// <summary>The probe.</summary>
    public ActivationProbe Probe { get; }

    /// <summary>Sequences per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>Whether text can be scored (an encoder or tokenizer was given).</summary>
    public bool CanEncodeText => _encode is not null;

    /// <summary>A text encoder over a tokenizer (ids widened to int64).</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="addSpecialTokens">Whether special tokens are added.</param>
    public static Func<string, IReadOnlyList<long>> EncoderOf(Tokenizer tokenizer, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return text => Array.ConvertAll(tokenizer.Encode(text, addSpecialTokens), id => (long)id);
    }

    /// <summary>Class probabilities for one token id sequence.</summary>
    /// <param name="ids">Non-empty ids in the model's vocabulary.</param>
    public double[] PredictIds(IReadOnlyList<long> ids) => PredictIds([ids])[0];

    /// <summary>Class probabilities for each token id sequence (batched by length).</summary>
    /// <param name="sequences">At least one non-empty sequence.</param>
    public double[][] PredictIds(IEnumerable<IReadOnlyList<long>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        IReadOnlyList<long>[] list = sequences.ToArray();
        double[][] pooled = MeanPooledActivations.Compute(Denoiser, list, Probe.Layer, Probe.Point, BatchSize);
        return pooled.Select(p => Probe.PredictFromActivations(p)).ToArray();
    }

    /// <summary>Most probable class index for one id sequence.</summary>
    /// <param name="ids">The ids.</param>
    public int ClassifyIds(IReadOnlyList<long> ids) => ScorerMath.ArgMax(PredictIds(ids));

    /// <summary>Most probable class index for each id sequence.</summary>
    /// <param name="sequences">The sequences.</param>
    public int[] ClassifyIds(IEnumerable<IReadOnlyList<long>> sequences) => PredictIds(sequences).Select(ScorerMath.ArgMax).ToArray();

    /// <summary>Accuracy, per-class accuracy and confusion on held-out labelled id sequences.</summary>
    /// <param name="heldOut">At least one (ids, label) pair; labels must be among <see cref="Classes"/>.</param>
    public ScorerEvaluation EvaluateIds(IEnumerable<(IReadOnlyList<long> ids, string label)> heldOut)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        var sequences = new List<IReadOnlyList<long>>();
        var truth = new List<int>();
        foreach ((IReadOnlyList<long> ids, string label) in heldOut)
        {
            int i = sequences.Count;
            sequences.Add(ids ?? throw new ArgumentException($"Held-out sequence {i} is null.", nameof(heldOut)));
            truth.Add(LabelIndex(label, i, nameof(heldOut)));
        }

        if (sequences.Count == 0)
        {
            throw new ArgumentException("At least one held-out example is required.", nameof(heldOut));
        }

        return ScorerEvaluation.FromPredictions(Classes, ClassifyIds(sequences), truth);
    }

    /// <inheritdoc />
    public override double[][] Predict(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var encoded = new List<IReadOnlyList<long>>();
        foreach (string? text in texts)
        {
            encoded.Add(Encode(text ?? throw new ArgumentException($"Text {encoded.Count} is null.", nameof(texts))));
        }

        return encoded.Count == 0 ? [] : PredictIds(encoded);
    }

    /// <inheritdoc />
    protected override double[] PredictCore(string text) => PredictIds(Encode(text));

    private IReadOnlyList<long> Encode(string text)
    {
        if (_encode is null)
        {
            throw new InvalidOperationException(
                "This probe scorer has no tokenizer or encoder, so it cannot score text; pass one to the constructor or use PredictIds with token ids.");
        }

        return _encode(text) ?? throw new InvalidOperationException("The encoder returned null.");
    }
}
