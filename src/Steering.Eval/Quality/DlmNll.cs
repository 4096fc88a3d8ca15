using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Quality;

/// <summary>
/// A masked diffusion LM's own negative log-likelihood of a text: a Monte-Carlo estimate of the DLM loss (DLM-Scope
/// Eq. 7, LLaDA Eq. 3), which is the negative ELBO and so an upper bound on −log p(text) in expectation.
/// </summary>
/// <remarks>
/// <para>For a text x of m tokens (optionally after a prompt that is never masked), each draw picks a mask rate
/// t ~ U(ε, 1), masks every text position independently with probability t (the forward process of
/// <see cref="MaskCorruption"/>), runs the model, and scores the draw
/// L = Σ_{i masked} −log p_θ(xᵢ | xᵗ) / t with the model's own prediction convention (<see cref="DlmLoss.TokenNll"/>:
/// Dream's shift, MDLM's SUBS). The estimate is the mean of L over draws, in nats; per token it is divided by m.
/// Since E[1{i masked}/t | t] = 1, a model whose predictions ignore the input gets exactly Σᵢ −log p(xᵢ) in
/// expectation; for a real model the expectation is the negative ELBO restricted to t ≥ ε (rescaled by 1/(1 − ε)).</para>
/// <para>Exponentiating the per-token bound gives a perplexity bound (<see cref="NllSummary.Perplexity"/>);
/// perplexities of models with different tokenizers are per token of their own tokenizer and not directly comparable.</para>
/// <para>Draws of mask rates and positions use a seeded <see cref="Xoshiro256StarStar"/> stream (reproducible on any
/// device). Texts are scored one at a time, <see cref="DlmNllOptions.BatchSize"/> masked copies per forward pass.</para>
/// </remarks>
public static class DlmNll
{
    /// <summary>Estimates the NLL bound of one token sequence.</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="tokens">The text's ids (at least one).</param>
    /// <param name="prompt">Optional conditioning ids placed before the text and never masked or scored.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    public static TextNll Estimate(
        IDenoiser model, IReadOnlyList<long> tokens, IReadOnlyList<long>? prompt = null, DlmNllOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= DlmNllOptions.Default;
        options.Validate();
        return EstimateOne(model, tokens, prompt, options, new Xoshiro256StarStar(options.Seed), 0, cancellationToken);
    }

    /// <summary>Estimates the NLL bounds of several texts and summarises them with a confidence interval across texts.</summary>
    /// <param name="model">The denoiser.</param>
    /// <param name="texts">Token id sequences (at least one, each non-empty).</param>
    /// <param name="prompts">Optional prompt per text (same count), or null.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels between forward passes.</param>
    public static NllSummary EstimateMany(
        IDenoiser model, IEnumerable<IReadOnlyList<long>> texts, IReadOnlyList<IReadOnlyList<long>>? prompts = null,
        DlmNllOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        options ??= DlmNllOptions.Default;
        options.Validate();
        IReadOnlyList<long>[] list = texts.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("At least one text is required.", nameof(texts));
        }

        if (prompts is not null && prompts.Count != list.Length)
        {
            throw new ArgumentException($"Length mismatch: {list.Length} texts but {prompts.Count} prompts.", nameof(prompts));
        }

        var rng = new Xoshiro256StarStar(options.Seed);
        var results = new TextNll[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            results[i] = EstimateOne(model, list[i], prompts?[i], options, rng, i, cancellationToken);
        }

        return Summarize(results, options.ConfidenceLevel);
    }

    /// <summary>Summarises per-text estimates (see <see cref="NllSummary"/>).</summary>
    /// <param name="texts">At least one estimate.</param>
    /// <param name="level">Confidence level.</param>
    public static NllSummary Summarize(IReadOnlyList<TextNll> texts, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
        {
            throw new ArgumentException("At least one text estimate is required.", nameof(texts));
        }

        InputGuard.ConfidenceLevel(level, nameof(level));
        double[] perToken = texts.Select(t => t.PerTokenNll).ToArray();
        ConfidenceInterval mean;
        if (perToken.Length >= 2)
        {
            mean = MeanInterval.StudentT(perToken, level);
        }
        else
        {
            double z = MathNet.Numerics.Distributions.Normal.InvCDF(0.0, 1.0, 0.5 + (level / 2.0));
            double half = z * texts[0].PerTokenStandardError;
            mean = new ConfidenceInterval(perToken[0], perToken[0] - half, perToken[0] + half, level);
        }

        double pooled = texts.Sum(t => t.Nll) / texts.Sum(t => (double)t.TokenCount);
        return new NllSummary(texts.ToArray(), mean, pooled);
    }

    private static TextNll EstimateOne(
        IDenoiser model, IReadOnlyList<long> tokens, IReadOnlyList<long>? prompt, DlmNllOptions options, Xoshiro256StarStar rng, int index,
        CancellationToken cancellationToken)
    {
        if (tokens is null)
        {
            throw new ArgumentException($"Text {index} is null.", nameof(tokens));
        }

        if (tokens.Count == 0)
        {
            throw new ArgumentException($"Text {index} is empty; it needs at least one token to score.", nameof(tokens));
        }

        prompt ??= [];
        int p = prompt.Count, m = tokens.Count, length = p + m;
        if (length > model.Spec.MaxSequenceLength)
        {
            throw new ArgumentException(
                $"Text {index} with its prompt has {length} tokens, more than the model's maximum of {model.Spec.MaxSequenceLength}.", nameof(tokens));
        }

        var clean = new long[length];
        for (int i = 0; i < length; i++)
        {
            long id = i < p ? prompt[i] : tokens[i - p];
            if (id < 0 || id >= model.Spec.VocabSize)
            {
                throw new ArgumentException(
                    $"Text {index} has token id {id} at position {i}{(i < p ? " of its prompt" : "")}, outside the model's vocabulary [0, {model.Spec.VocabSize}).",
                    nameof(tokens));
            }

            clean[i] = id;
        }

        int draws = options.Draws;
        double eps = options.MinMaskRate;
        var rates = new double[draws];
        for (int k = 0; k < draws; k++)
        {
            double u = rng.NextDouble();
            rates[k] = eps + ((1.0 - eps) * (options.Stratified ? (k + u) / draws : u));
        }

        var values = new double[draws];
        using var noGrad = no_grad();
        for (int start = 0; start < draws; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int b = Math.Min(options.BatchSize, draws - start);
            var noisy = new long[b * length];
            var masked = new bool[b * length];
            for (int r = 0; r < b; r++)
            {
                double t = rates[start + r];
                for (int i = 0; i < length; i++)
                {
                    bool mask = i >= p && rng.NextDouble() < t;
                    masked[(r * length) + i] = mask;
                    noisy[(r * length) + i] = mask ? model.Spec.MaskTokenId : clean[i];
                }
            }

            float[] nll;
            using (NewDisposeScope())
            {
                Tensor noisyIds = tensor(noisy, [b, length], device: model.Device);
                Tensor cleanIds = tensor(clean, [1, length], device: model.Device).expand(b, length).contiguous();
                Tensor? noiseLevel = options.NoiseLevel?.Invoke(
                    tensor(rates.AsSpan(start, b).ToArray().Select(x => (float)x).ToArray(), [b], device: model.Device));
                Tensor logits = model.Forward(new DenoiserInput(noisyIds) { NoiseLevel = noiseLevel });
                nll = DlmLoss.TokenNll(model, logits, noisyIds, cleanIds).cpu().data<float>();
            }

            for (int r = 0; r < b; r++)
            {
                double sum = 0;
                for (int i = p; i < length; i++)
                {
                    if (masked[(r * length) + i])
                    {
                        double v = nll[(r * length) + i];
                        if (!double.IsFinite(v))
                        {
                            throw new InvalidOperationException(
                                $"The model gave a non-finite log-probability ({v}) for token {i - p} of text {index}.");
                        }

                        sum += v;
                    }
                }

                values[start + r] = sum / rates[start + r];
            }
        }

        (double mean, double variance) = EffectSize.MeanAndSampleVariance(values);
        return new TextNll(m, mean, Math.Sqrt(variance / draws), draws);
    }
}
