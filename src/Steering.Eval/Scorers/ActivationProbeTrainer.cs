using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Steering.Eval.Probes;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// Trains linear probes on a denoiser's mean-pooled residual activations, one per layer, with stratified K-fold
/// cross-validation reported as per-fold accuracies with mean and standard deviation (issue 7 part 2), optionally
/// augmenting every example with noised copies at given mask ratios (paper b's protocol runs text noised at
/// {0.3, 0.5, 0.7}).
/// </summary>
/// <remarks>
/// Folds are assigned to the original examples (stratified by class), and all variants of an example (clean and
/// noised) go to the same side of every split, so noised copies never leak a held-out example into training. Each
/// fold's model is fitted with <see cref="LogisticRegression"/> on the training variants; the reported probe is refitted
/// on all variants. Noise masks come from a seeded <see cref="Xoshiro256StarStar"/> stream: each position of each copy
/// is replaced by the model's mask id independently with the copy's ratio.
/// </remarks>
public static class ActivationProbeTrainer
{
    /// <summary>Trains probes on labelled token id sequences.</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="data">(ids, label) pairs; at least two classes with at least <see cref="ProbeTrainingOptions.Folds"/> examples each.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public static ProbeTrainingResult Train(IDenoiser model, IEnumerable<(IReadOnlyList<long> ids, string label)> data, ProbeTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options ??= ProbeTrainingOptions.Default;
        options.Validate();
        var sequences = new List<IReadOnlyList<long>>();
        var labels = new List<string>();
        foreach ((IReadOnlyList<long> ids, string label) in data)
        {
            sequences.Add(ids ?? throw new ArgumentException($"Sequence {sequences.Count} is null.", nameof(data)));
            labels.Add(label);
        }

        if (sequences.Count == 0)
        {
            throw new ArgumentException("At least one labelled sequence is required.", nameof(data));
        }

        MeanPooledActivations.ValidateSequences(model, sequences, nameof(data));
        (string[] classes, int[] y) = ScorerMath.IndexLabels(labels, options.Classes, nameof(data));
        int[] layers = MeanPooledActivations.ValidateLayers(model, options.Layers ?? Enumerable.Range(0, model.Spec.NumLayers).ToArray());
        IReadOnlyList<FoldSplit> splits = StratifiedKFold.Split(y, options.Folds, options.Seed);

        // Variants: (example, ratio) with ratio 0 for the clean copy.
        double[] ratios = (options.IncludeClean ? new[] { 0.0 } : []).Concat(options.MaskRatios).ToArray();
        var variantSequences = new List<IReadOnlyList<long>>();
        var variantExample = new List<int>();
        var variantKind = new List<int>();
        var rng = new Xoshiro256StarStar(options.Seed ^ 0x9E3779B97F4A7C15UL);
        for (int i = 0; i < sequences.Count; i++)
        {
            for (int r = 0; r < ratios.Length; r++)
            {
                variantSequences.Add(ratios[r] == 0.0 ? sequences[i] : Noise(sequences[i], ratios[r], model.Spec.MaskTokenId, rng));
                variantExample.Add(i);
                variantKind.Add(r);
            }
        }

        double[][][] activations = MeanPooledActivations.Compute(model, variantSequences, layers, options.Point, options.BatchSize);
        int[] variantLabels = variantExample.Select(i => y[i]).ToArray();
        var results = new List<LayerProbeResult>();
        for (int l = 0; l < layers.Length; l++)
        {
            double[][] x = activations[l];
            var accuracies = new double[splits.Count];
            var kindAccuracy = new double[ratios.Length];
            foreach (FoldSplit split in splits)
            {
                var inTest = new HashSet<int>(split.TestIndices);
                int[] train = Enumerable.Range(0, x.Length).Where(v => !inTest.Contains(variantExample[v])).ToArray();
                int[] test = Enumerable.Range(0, x.Length).Where(v => inTest.Contains(variantExample[v])).ToArray();
                LogisticRegressionModel fold = LogisticRegression.Fit(
                    train.Select(v => x[v]).ToArray(), train.Select(v => variantLabels[v]).ToArray(), options.Regression);
                int[] predicted = fold.Predict(test.Select(v => x[v]).ToArray());
                var correctByKind = new int[ratios.Length];
                var countByKind = new int[ratios.Length];
                int correct = 0;
                for (int t = 0; t < test.Length; t++)
                {
                    bool hit = predicted[t] == variantLabels[test[t]];
                    correct += hit ? 1 : 0;
                    correctByKind[variantKind[test[t]]] += hit ? 1 : 0;
                    countByKind[variantKind[test[t]]]++;
                }

                accuracies[split.Fold] = (double)correct / test.Length;
                for (int r = 0; r < ratios.Length; r++)
                {
                    kindAccuracy[r] += (double)correctByKind[r] / countByKind[r] / splits.Count;
                }
            }

            (double mean, double variance) = EffectSize.MeanAndSampleVariance(accuracies);
            var cv = new CrossValidationResult(accuracies, mean, Math.Sqrt(variance));
            LogisticRegressionModel full = LogisticRegression.Fit(x, variantLabels, options.Regression);
            var byRatio = new Dictionary<double, double>();
            for (int r = 0; r < ratios.Length; r++)
            {
                byRatio[ratios[r]] = kindAccuracy[r];
            }

            results.Add(new LayerProbeResult(layers[l], cv, byRatio, new ActivationProbe(layers[l], options.Point, classes, full, model.Spec.ModelType)));
        }

        return new ProbeTrainingResult(classes, results, sequences.Count);
    }

    /// <summary>Trains probes on labelled texts encoded by <paramref name="encode"/>.</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="encode">Text → token ids.</param>
    /// <param name="data">(text, label) pairs.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public static ProbeTrainingResult Train(
        IDenoiser model, Func<string, IReadOnlyList<long>> encode, IEnumerable<(string text, string label)> data, ProbeTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentNullException.ThrowIfNull(data);
        var encoded = new List<(IReadOnlyList<long>, string)>();
        foreach ((string text, string label) in data)
        {
            encoded.Add((encode(text ?? throw new ArgumentException($"Text {encoded.Count} is null.", nameof(data))), label));
        }

        return Train(model, encoded, options);
    }

    /// <summary>Trains probes on labelled texts encoded by the model's tokenizer.</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="data">(text, label) pairs.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="addSpecialTokens">Whether the tokenizer adds special tokens (score with the same setting).</param>
    public static ProbeTrainingResult Train(
        IDenoiser model, Tokenizer tokenizer, IEnumerable<(string text, string label)> data, ProbeTrainingOptions? options = null, bool addSpecialTokens = true) =>
        Train(model, ActivationProbeScorer.EncoderOf(tokenizer, addSpecialTokens), data, options);

    private static long[] Noise(IReadOnlyList<long> ids, double ratio, long maskId, Xoshiro256StarStar rng)
    {
        var noisy = new long[ids.Count];
        for (int t = 0; t < noisy.Length; t++)
        {
            noisy[t] = rng.NextDouble() < ratio ? maskId : ids[t];
        }

        return noisy;
    }
}
