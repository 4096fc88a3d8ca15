using DiffusionSteering.Diffusion.Models.Architectures.Mdlm;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>MDLM's reverse-step predictors.</summary>
public enum MdlmPredictor
{
    /// <summary><c>_ddpm_update</c>: move chances from the noise schedule, one model call per step.</summary>
    Ddpm,
    /// <summary><c>_ddpm_caching_update</c>: reuses p(x₀) while nothing changes (t itself as the move chance).</summary>
    DdpmCache,
}

/// <summary>Options of MDLM's <c>_sample</c> (kuleshov-group/mdlm <c>diffusion.py</c>).</summary>
public sealed record MdlmSamplerOptions
{
    /// <summary>Total sequence length (prompt included); default the model's maximum.</summary>
    public int? Length { get; init; }
    /// <summary>Reverse steps.</summary>
    public int Steps { get; init; } = 128;
    /// <summary>Final time of the grid linspace(1, eps, steps + 1).</summary>
    public double Eps { get; init; } = 1e-5;
    /// <summary>Predictor.</summary>
    public MdlmPredictor Predictor { get; init; } = MdlmPredictor.DdpmCache;
    /// <summary>Finish with a greedy fill of any remaining masks (<c>noise_removal</c>).</summary>
    public bool NoiseRemoval { get; init; } = true;
    /// <summary>The noise schedule (log-linear, ε = 1e-3).</summary>
    public LogLinearNoise Noise { get; init; } = new();
}

/// <summary>
/// MDLM's ancestral sampler (Sahoo et al. 2024, Eq. 7 reverse process with SUBS; <c>Diffusion._sample</c>): from an
/// all-mask canvas (a prompt prefix, if given, stays fixed) each step draws x_s ~ q(x_s | x_t, x̂₀) by an exponential
/// race, then an optional final argmax fills what is left. Reproduces <c>_ddpm_caching_update</c>'s quirk of using t
/// itself (not (1−ε)t) as the move chance.
/// </summary>
public sealed class MdlmSampler
{
    /// <summary>Creates the sampler, validating the options.</summary>
    public MdlmSampler(MdlmSamplerOptions options)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), $"steps must be at least 1, got {options.Steps}");
        if (!(options.Eps > 0 && options.Eps < 1)) throw new ArgumentOutOfRangeException(nameof(options), $"eps must be in (0, 1), got {options.Eps}");
        if (options.Length is { } l && l < 1) throw new ArgumentOutOfRangeException(nameof(options), $"length must be at least 1, got {l}");
        if (!Enum.IsDefined(options.Predictor)) throw new ArgumentOutOfRangeException(nameof(options), $"unknown predictor '{options.Predictor}'");
        Options = options;
    }

    /// <summary>The options.</summary>
    public MdlmSamplerOptions Options { get; }

    /// <summary>σ(t) as a float32 [B] tensor (the schedule's <c>total_noise</c>, computed in float32 like the reference).</summary>
    public static Tensor Sigma(LogLinearNoise noise, Tensor t)
    {
        using var scope = NewDisposeScope();
        return (t * -(1 - noise.Eps)).log1p().neg().MoveToOuterDisposeScope();
    }

    /// <summary>SUBS probabilities p(x₀ | x_t) = exp(SUBS log-probs) at noise level σ [B].</summary>
    public static Tensor PredictX0(IDenoiser model, Tensor xt, Tensor sigma, Func<DenoiserInput, Tensor>? forward = null)
    {
        using var scope = NewDisposeScope();
        var input = new DenoiserInput(xt) { NoiseLevel = sigma };
        var logits = forward is null ? model.Forward(input) : forward(input);
        return model.PredictionLogProbs(logits, xt).exp().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>_sample_categorical</c>: argmax(p / (1e-10 − log(u + 1e-10))) with u ~ U[0,1) of p's shape — an exponential
    /// race equivalent to a categorical draw from p / Σp.
    /// </summary>
    public static Tensor SampleCategorical(Tensor probabilities, Tensor uniform)
    {
        using var scope = NewDisposeScope();
        var gumbelNorm = 1e-10 - (uniform + 1e-10).log();
        return (probabilities / gumbelNorm).argmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// q(x_s | x_t) for <c>_ddpm_caching_update</c>: p_x0 · (t − (t − dt)) with the mask column set to t − dt (t [B, 1]).
    /// </summary>
    public static Tensor CachingTransition(Tensor pX0, Tensor t, double dt, long maskId)
    {
        using var scope = NewDisposeScope();
        var s = t - dt;
        var q = pX0 * (t - s).unsqueeze(-1);
        q.select(-1, maskId).copy_(s.expand(q.size(0), q.size(1)));
        return q.MoveToOuterDisposeScope();
    }

    /// <summary>q(x_s | x_t) for <c>_ddpm_update</c>: p_x0 · (mc_t − mc_s) with the mask column mc_s, mc = 1 − e^{−σ}.</summary>
    public static Tensor DdpmTransition(Tensor pX0, Tensor t, double dt, long maskId, LogLinearNoise noise)
    {
        using var scope = NewDisposeScope();
        var moveT = 1.0 - Sigma(noise, t).neg().exp();
        var moveS = 1.0 - Sigma(noise, t - dt).neg().exp();
        var q = pX0 * (moveT - moveS).unsqueeze(-1);
        q.select(-1, maskId).copy_(moveS.expand(q.size(0), q.size(1)));
        return q.MoveToOuterDisposeScope();
    }

    /// <summary>Keeps unmasked tokens of x_t, takes the draw elsewhere.</summary>
    public static Tensor CarryOver(Tensor xt, Tensor draw, long maskId)
    {
        using var mask = xt.ne(maskId);
        return where(mask, xt, draw);
    }

    /// <summary>Samples sequences of <see cref="MdlmSamplerOptions.Length"/> tokens (prompt prefix kept).</summary>
    public SamplingResult Sample(IDenoiser model, SamplingRequest request, CancellationToken cancellationToken = default)
    {
        var o = Options;
        using var session = new SamplingSession(model, request, o.Steps, cancellationToken);
        if (request.AttentionMask is not null) throw new ArgumentException("MDLM sampling takes no attention mask (no padding)");
        int batch = session.BatchSize, promptLength = session.PromptLength;
        var length = o.Length ?? model.Spec.MaxSequenceLength;
        if (length > model.Spec.MaxSequenceLength) throw new ArgumentException($"length {length} exceeds the model's maximum {model.Spec.MaxSequenceLength}");
        if (promptLength >= length) throw new ArgumentException($"prompt ({promptLength}) leaves nothing to generate in length {length}");
        var maskId = model.Spec.MaskTokenId;
        var device = model.Device;
        var dt = (1 - o.Eps) / o.Steps;
        var timeConditioned = model is MdlmModel { Config.TimeConditioning: true };

        using var outer = NewDisposeScope();
        var x = full([batch, length], maskId, ScalarType.Int64, device);
        if (promptLength > 0) x.narrow(1, 0, promptLength).copy_(request.PromptIds);
        var timesteps = linspace(1, o.Eps, o.Steps + 1, ScalarType.Float32, device);
        Tensor? cachedX0 = null;
        session.Start(x);
        for (var i = 0; i < o.Steps; i++)
        {
            session.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            var t = timesteps[i].expand(batch, 1).contiguous();
            var maskIndex = x.eq(maskId);
            var step = new StepContext(i, o.Steps, timesteps[i].item<float>(), x, maskIndex, batch, 1, maskId) { ForwardMaskedPositions = maskIndex };
            Func<DenoiserInput, Tensor> forward = input => session.Forward(step, input);
            // ddpm_cache reuses p(x0) while a step changes nothing (and the model ignores t); ddpm recomputes it.
            var reuse = o.Predictor == MdlmPredictor.DdpmCache && cachedX0 is not null;
            var pX0 = reuse ? cachedX0! : PredictX0(model, x, Sigma(o.Noise, t).squeeze(-1), forward);
            var q = o.Predictor == MdlmPredictor.DdpmCache
                ? CachingTransition(pX0, t, dt, maskId)
                : DdpmTransition(pX0, t, dt, maskId, o.Noise);
            var next = CarryOver(x, SampleCategorical(q, session.Uniform(q.shape[1..], q.dtype)), maskId).DetachFromDisposeScope();
            session.CompleteStep(step, pX0, next);
            var keepCache = o.Predictor == MdlmPredictor.DdpmCache && !timeConditioned && next.equal(x);
            if (keepCache && !reuse) cachedX0 = outer.Include(pX0.DetachFromDisposeScope());
            if (!keepCache && reuse) { cachedX0!.Dispose(); cachedX0 = null; }
            x.Dispose();
            x = next;
            outer.Include(x);
        }
        if (o.NoiseRemoval)
        {
            using var scope = NewDisposeScope();
            var tLast = timesteps[o.Steps].expand(batch, 1).contiguous();
            var logits = model.Forward(new DenoiserInput(x) { NoiseLevel = Sigma(o.Noise, tLast).squeeze(-1) });
            var filled = model.PredictionLogProbs(logits, x).argmax(-1).DetachFromDisposeScope();
            x.Dispose();
            x = filled;
            outer.Include(x);
        }
        return session.Finish(x.clone());
    }
}
