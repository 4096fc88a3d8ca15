using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// Reads a denoiser's residual stream with read-only hooks and averages it over sequence positions: the input of
/// linear probes on "mean-pooled activations" (issue 7 part 2, paper b App. C.3).
/// </summary>
/// <remarks>
/// Sequences of equal length are batched together (up to the batch size) so that no padding or attention mask is
/// needed; every position of a sequence, masked or not, enters the mean. Activations are converted to float64 before
/// averaging. The model's hooks are only added for the duration of each forward pass; do not run other forward passes
/// on the same model concurrently.
/// </remarks>
public static class MeanPooledActivations
{
    /// <summary>Default number of sequences per forward pass.</summary>
    public const int DefaultBatchSize = 16;

    /// <summary>Mean-pooled activations of each sequence at one layer: [sequence][hidden].</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="sequences">Token id sequences (each non-empty, ids in [0, vocab), no longer than the model's maximum).</param>
    /// <param name="layer">Block index.</param>
    /// <param name="point">Hook point inside the block (default the block output).</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    public static double[][] Compute(
        IDenoiser model, IReadOnlyList<IReadOnlyList<long>> sequences, int layer, HookPoint point = HookPoint.ResidPost, int batchSize = DefaultBatchSize) =>
        Compute(model, sequences, [layer], point, batchSize)[0];

    /// <summary>Mean-pooled activations at several layers from one forward pass per batch: [layer (as given)][sequence][hidden].</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="sequences">Token id sequences.</param>
    /// <param name="layers">Distinct block indices.</param>
    /// <param name="point">Hook point inside each block.</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    public static double[][][] Compute(
        IDenoiser model, IReadOnlyList<IReadOnlyList<long>> sequences, IReadOnlyList<int> layers, HookPoint point = HookPoint.ResidPost,
        int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(layers);
        if (batchSize < 1)
        {
            throw new ArgumentException($"Batch size must be at least 1; got {batchSize}.", nameof(batchSize));
        }

        int[] layerList = ValidateLayers(model, layers);
        if (!Enum.IsDefined(point))
        {
            throw new ArgumentException($"Unknown hook point {point}.", nameof(point));
        }

        ValidateSequences(model, sequences, nameof(sequences));
        int d = model.Spec.HiddenSize;
        var result = new double[layerList.Length][][];
        for (int l = 0; l < layerList.Length; l++)
        {
            result[l] = new double[sequences.Count][];
        }

        foreach (IGrouping<int, int> group in Enumerable.Range(0, sequences.Count).GroupBy(i => sequences[i].Count))
        {
            int[] members = group.ToArray();
            for (int start = 0; start < members.Length; start += batchSize)
            {
                int[] batch = members.AsSpan(start, Math.Min(batchSize, members.Length - start)).ToArray();
                double[][] pooled = RunBatch(model, sequences, batch, group.Key, layerList, point);
                for (int l = 0; l < layerList.Length; l++)
                {
                    for (int b = 0; b < batch.Length; b++)
                    {
                        var row = new double[d];
                        Array.Copy(pooled[l], b * d, row, 0, d);
                        for (int j = 0; j < d; j++)
                        {
                            if (!double.IsFinite(row[j]))
                            {
                                throw new InvalidOperationException(
                                    $"The model produced a non-finite activation ({row[j]}) for sequence {batch[b]} at layer {layerList[l]} {point}, dimension {j}.");
                            }
                        }

                        result[l][batch[b]] = row;
                    }
                }
            }
        }

        return result;
    }

    internal static void ValidateSequences(IDenoiser model, IReadOnlyList<IReadOnlyList<long>> sequences, string paramName)
    {
        if (sequences.Count == 0)
        {
            throw new ArgumentException("At least one sequence is required.", paramName);
        }

        for (int i = 0; i < sequences.Count; i++)
        {
            ValidateSequence(model, sequences[i], i, paramName);
        }
    }

    internal static void ValidateSequence(IDenoiser model, IReadOnlyList<long>? sequence, int index, string paramName)
    {
        if (sequence is null)
        {
            throw new ArgumentException($"Sequence {index} is null.", paramName);
        }

        if (sequence.Count == 0)
        {
            throw new ArgumentException($"Sequence {index} is empty; it needs at least one token.", paramName);
        }

        if (sequence.Count > model.Spec.MaxSequenceLength)
        {
            throw new ArgumentException(
                $"Sequence {index} has {sequence.Count} tokens, more than the model's maximum of {model.Spec.MaxSequenceLength}.", paramName);
        }

        for (int t = 0; t < sequence.Count; t++)
        {
            if (sequence[t] < 0 || sequence[t] >= model.Spec.VocabSize)
            {
                throw new ArgumentException(
                    $"Sequence {index} has token id {sequence[t]} at position {t}, outside the model's vocabulary [0, {model.Spec.VocabSize}).", paramName);
            }
        }
    }

    internal static int[] ValidateLayers(IDenoiser model, IReadOnlyList<int> layers)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("At least one layer is required.", nameof(layers));
        }

        var seen = new HashSet<int>();
        foreach (int layer in layers)
        {
            if (layer < 0 || layer >= model.Spec.NumLayers)
            {
                throw new ArgumentException($"Layer {layer} is outside the model's blocks 0..{model.Spec.NumLayers - 1}.", nameof(layers));
            }

            if (!seen.Add(layer))
            {
                throw new ArgumentException($"Layer {layer} is listed more than once.", nameof(layers));
            }
        }

        return layers.ToArray();
    }

    private static double[][] RunBatch(IDenoiser model, IReadOnlyList<IReadOnlyList<long>> sequences, int[] batch, int length, int[] layers, HookPoint point)
    {
        var ids = new long[batch.Length * length];
        for (int b = 0; b < batch.Length; b++)
        {
            IReadOnlyList<long> s = sequences[batch[b]];
            for (int t = 0; t < length; t++)
            {
                ids[(b * length) + t] = s[t];
            }
        }

        var captured = new double[layers.Length][];
        var slot = new Dictionary<int, int>();
        for (int l = 0; l < layers.Length; l++)
        {
            slot[layers[l]] = l;
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var registrations = new List<IDisposable>();
        try
        {
            foreach (int layer in layers)
            {
                registrations.Add(model.Hooks.Add(layer, point, (in HookContext context, Tensor residual) =>
                {
                    captured[slot[context.Layer]] = residual.detach().to(ScalarType.Float64).mean([1L]).cpu().data<double>();
                    return null;
                }));
            }

            Tensor input = tensor(ids, [batch.Length, length], device: model.Device);
            model.Forward(new DenoiserInput(input)).Dispose();
        }
        finally
        {
            foreach (IDisposable registration in registrations)
            {
                registration.Dispose();
            }
        }

        for (int l = 0; l < layers.Length; l++)
        {
            if (captured[l] is null)
            {
                throw new InvalidOperationException($"The model's forward pass did not run the hook at layer {layers[l]} {point}.");
            }
        }

        return captured;
    }
}
