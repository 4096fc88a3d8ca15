using DiffusionSteering.Diffusion.Models.Architectures.Dream;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>Dream's unmasking algorithms (<c>alg</c>).</summary>
public enum DreamAlgorithm
{
    /// <summary>Each masked token is revealed with probability 1 − s/t (random order; the reference default).</summary>
    Origin,
    /// <summary>Highest max-probability first.</summary>
    MaskgitPlus,
    /// <summary>Largest top-1 − top-2 probability margin first.</summary>
    TopkMargin,
    /// <summary>Lowest entropy first (confidence Σ p log(p + 1e-10)).</summary>
    Entropy,
}

/// <summary>Options of Dream's <c>diffusion_generate</c> (Dream-org <c>generation_utils.py</c>).</summary>
public sealed record DreamSamplerOptions
{
    /// <summary>Tokens to generate after the prompt.</summary>
    public int MaxNewTokens { get; init; } = 20;
    /// <summary>Denoising steps.</summary>
    public int Steps { get; init; } = 512;
    /// <summary>Final time of the grid linspace(1, eps, steps + 1).</summary>
    public double Eps { get; init; } = 1e-3;
    /// <summary>Unmasking algorithm.</summary>
    public DreamAlgorithm Algorithm { get; init; } = DreamAlgorithm.Origin;
    /// <summary>Temperature of the position choice for the confidence algorithms (0: top-k, else multinomial).</summary>
    public double AlgTemp { get; init; }
    /// <summary>Token sampling temperature (0: argmax).</summary>
    public double Temperature { get; init; }
    /// <summary>Nucleus filter (null or ≥ 1: off).</summary>
    public double? TopP { get; init; }
    /// <summary>
    /// Top-k filter. Default 50 reproduces the reference quirk: when the caller passes no top_k, Dream builds its
    /// generation config from the model config, whose legacy default is top_k = 50, and the filter changes the
    /// confidences. Set null for no filter.
    /// </summary>
    public int? TopK { get; init; } = 50;
}

/// <summary>
/// Dream's sampler (Ye et al. 2025; <c>DreamGenerationMixin._sample</c>, reproduced token for token): time grid
/// linspace(1, eps, steps + 1) in float32, logits shifted by one position, k = int(mean masked count · (1 − s/t))
/// positions per step (all at the last step). Reference quirks kept and documented: the implicit top_k = 50
/// (<see cref="DreamSamplerOptions.TopK"/>); the float32 truncation that makes the first step unmask nothing when
/// steps == max_new_tokens; k from the batch-average mask count with top-k over whole rows (rows with fewer masks can
/// re-mask tokens); the silent fall-back to greedy when a categorical draw's probabilities fail the simplex check.
/// </summary>
public sealed class DreamSampler
{
    /// <summary>Creates the sampler, validating the options.</summary>
    public DreamSampler(DreamSamplerOptions options)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), $"steps must be at least 1, got {options.Steps}");
        if (options.MaxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), $"max_new_tokens must be at least 1, got {options.MaxNewTokens}");
        if (!(options.Eps > 0 && options.Eps < 1)) throw new ArgumentOutOfRangeException(nameof(options), $"eps must be in (0, 1), got {options.Eps}");
        if (!(options.Temperature >= 0) || double.IsInfinity(options.Temperature)) throw new ArgumentOutOfRangeException(nameof(options), $"temperature must be finite and non-negative, got {options.Temperature}");
        if (!(options.AlgTemp >= 0) || double.IsInfinity(options.AlgTemp)) throw new ArgumentOutOfRangeException(nameof(options), $"alg_temp must be finite and non-negative, got {options.AlgTemp}");
        if (options.TopP is { } p && !(p > 0)) throw new ArgumentOutOfRangeException(nameof(options), $"top_p must be positive, got {p}");
        if (options.TopK is { } k && k < 1) throw new ArgumentOutOfRangeException(nameof(options), $"top_k must be at least 1, got {k}");
        if (!Enum.IsDefined(options.Algorithm)) throw new ArgumentOutOfRangeException(nameof(options), $"unknown algorithm '{options.Algorithm}'");
        Options = options;
    }

    /// <summary>The options.</summary>
    public DreamSamplerOptions Options { get; }

    /// <summary>Generates <see cref="DreamSamplerOptions.MaxNewTokens"/> tokens after each prompt.</summary>
    public SamplingResult Sample(IDenoiser model, SamplingRequest request, CancellationToken cancellationToken = default)
    {
        var o = Options;
        using var session = new SamplingSession(model, request, o.Steps, cancellationToken);
        int batch = session.BatchSize, promptLength = session.PromptLength;
        var length = promptLength + o.MaxNewTokens;
        if (length > model.Spec.MaxSequenceLength)
            throw new ArgumentException($"prompt ({promptLength}) + max_new_tokens ({o.MaxNewTokens}) exceeds the model's maximum length {model.Spec.MaxSequenceLength}");
        var maskId = model.Spec.MaskTokenId;
        var device = model.Device;

        using var outer = NewDisposeScope();
        var x = full([batch, length], maskId, ScalarType.Int64, device);
        x.narrow(1, 0, promptLength).copy_(request.PromptIds);
        Tensor? mask4D = null, positionIds = null;
        if (request.AttentionMask is { } am && AttentionMasks.HasPadding(am))
        {
            var padded = cat([am.to(device, ScalarType.Int64), ones([batch, o.MaxNewTokens], ScalarType.Int64, device)], 1);
            positionIds = (padded.cumsum(-1) - 1).masked_fill(padded.eq(0), 1);
            var valid = padded.ne(0);
            mask4D = valid.unsqueeze(1).unsqueeze(-2).logical_and(valid.unsqueeze(1).unsqueeze(-1));
        }
        var timesteps = linspace(1, o.Eps, o.Steps + 1, ScalarType.Float32, device).data<float>();
        session.Start(x);

        for (var i = 0; i < o.Steps; i++)
        {
            session.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            var maskIndex = x.eq(maskId);
            var step = new StepContext(i, o.Steps, timesteps[i], x, maskIndex, batch, 1, maskId) { ForwardMaskedPositions = maskIndex };
            var raw = session.Forward(step, new DenoiserInput(x) { AttentionMask4D = mask4D, PositionIds = positionIds });
            var logits = model.Spec.LogitShift == 1 ? DreamModel.ShiftLogits(raw) : raw;
            var maskLogits = logits.index([maskIndex]);                       // [n_masked, V], row-major over the batch
            var maskRows = maskIndex.nonzero().select(1, 0).data<long>();      // batch row of each masked position
            float t = timesteps[i], s = timesteps[i + 1];
            Tensor next;
            if (o.Algorithm == DreamAlgorithm.Origin)
            {
                // p_transfer = 1 − s/t (float32), 1 at the last step; one U[0,1) draw per masked position.
                var pTransfer = i < o.Steps - 1 ? 1f - s / t : 1f;
                var counts = Enumerable.Range(0, batch).Select(r => (long)maskRows.Count(row => row == r)).ToArray();
                var draws = session.UniformPerRow(counts, ScalarType.Float32);
                var selected = draws.lt(pTransfer);
                var x0 = full([maskRows.LongLength], maskId, ScalarType.Int64, device);
                var selectedFlags = selected.data<bool>();
                var selectedRows = maskRows.Where((_, j) => selectedFlags[j]).ToArray();
                if (selectedRows.Length > 0)
                {
                    var (_, tokens) = SampleTokens(session, maskLogits.index([selected]), selectedRows, false, false);
                    x0 = x0.index_put([selected], tokens);
                }
                next = x.index_put([maskIndex], x0);
            }
            else
            {
                var (confidence, x0) = SampleTokens(session, maskLogits, maskRows,
                    o.Algorithm == DreamAlgorithm.TopkMargin, o.Algorithm == DreamAlgorithm.Entropy);
                // num_mask_token = mask_index.sum() / B (float32); k = int(num_mask_token · (1 − s/t)), all at the last step.
                var meanMasked = maskIndex.sum().div(batch).item<float>();
                var k = i < o.Steps - 1 ? (long)(meanMasked * (1f - s / t)) : (long)meanMasked;
                next = x.clone();
                if (k > 0)
                {
                    var fullConfidence = full_like(x, double.NegativeInfinity, logits.dtype).index_put([maskIndex], confidence);
                    var positions = o.AlgTemp == 0
                        ? fullConfidence.topk(k).indexes
                        : session.MultinomialWithoutReplacement((fullConfidence / o.AlgTemp).softmax(-1), k);
                    var candidates = full_like(x, maskId).index_put([maskIndex], x0);
                    next = next.scatter(1, positions, candidates.gather(1, positions));
                }
            }
            next = next.DetachFromDisposeScope();
            session.CompleteStep(step, logits, next);
            x.Dispose();
            x = next;
            outer.Include(x);
        }
        return session.Finish(x.clone());
    }

    /// <summary>
    /// <c>sample_tokens</c>: temperature, top-p and top-k filtering, softmax in the logits' dtype, then the argmax (T = 0)
    /// or a categorical draw (T &gt; 0, greedy for the whole call when the probabilities fail the simplex check as
    /// torch.distributions would), and the confidence: max probability, top-1 − top-2 margin, or Σ p log(p + 1e-10).
    /// </summary>
    private (Tensor confidence, Tensor tokens) SampleTokens(SamplingSession session, Tensor logits, long[] rowOwners, bool margin, bool negEntropy)
    {
        var o = Options;
        if (o.Temperature > 0) logits = logits / o.Temperature;
        if (o.TopP is { } p && p < 1) logits = TopPFilter(logits, p);
        if (o.TopK is { } k) logits = TopKFilter(logits, k);
        var probabilities = logits.softmax(-1);
        Tensor confidence, tokens;
        if (o.Temperature > 0 && PassesSimplexCheck(probabilities))
        {
            var normalised = probabilities / probabilities.sum(-1, keepdim: true);
            tokens = session.Multinomial(normalised, rowOwners);
            confidence = probabilities.gather(-1, tokens.unsqueeze(-1)).squeeze(-1);
        }
        else
        {
            (confidence, tokens) = probabilities.max(-1);
        }
        if (margin)
        {
            var (sorted, _) = probabilities.sort(-1, descending: true);
            confidence = sorted.select(-1, 0) - sorted.select(-1, 1);
        }
        if (negEntropy) confidence = (probabilities * (probabilities + 1e-10).log()).sum(-1);
        return (confidence, tokens);
    }

    // torch.distributions.Categorical(probs) normalises in the probs' dtype and validates the simplex constraint
    // (all ≥ 0, |Σ − 1| < 1e-6); Dream's bare `except` turns a failure into a greedy step.
    private static bool PassesSimplexCheck(Tensor probabilities)
    {
        using var scope = NewDisposeScope();
        var normalised = probabilities / probabilities.sum(-1, keepdim: true);
        var sumOk = (normalised.sum(-1) - 1).abs().lt(1e-6).all().item<bool>();
        return sumOk && normalised.ge(0).all().item<bool>();
    }

    /// <summary>Nucleus filter (<c>top_p_logits</c>): keeps the smallest prefix of sorted tokens whose mass exceeds p.</summary>
    private static Tensor TopPFilter(Tensor logits, double p)
    {
        var (sorted, order) = logits.sort(-1, descending: true);
        var cumulative = sorted.softmax(-1).cumsum(-1);
        var remove = cumulative.gt(p);
        var shifted = zeros_like(remove);
        var width = remove.size(-1);
        if (width > 1) shifted.narrow(-1, 1, width - 1).copy_(remove.narrow(-1, 0, width - 1));
        var mask = zeros_like(logits, ScalarType.Bool).scatter(-1, order, shifted);
        return logits.masked_fill(mask, AttentionMasks.MinValue(logits.dtype));
    }

    /// <summary>Top-k filter (<c>top_k_logits</c>): logits below the k-th largest get finfo.min.</summary>
    private static Tensor TopKFilter(Tensor logits, int k)
    {
        var kk = Math.Min(k, logits.size(-1));
        var (values, _) = logits.topk(kk);
        var threshold = values.narrow(-1, kk - 1, 1);
        return logits.masked_fill(logits.lt(threshold), AttentionMasks.MinValue(logits.dtype));
    }
}
