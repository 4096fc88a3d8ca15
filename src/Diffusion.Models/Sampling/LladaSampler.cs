using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Architectures.Dream;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Sampling;

/// <summary>How LLaDA picks the positions to commit at a step.</summary>
public enum LladaRemasking
{
    /// <summary>Highest softmax probability of the chosen token first (<c>low_confidence</c>).</summary>
    LowConfidence,
    /// <summary>Uniformly random positions (<c>random</c>): one <c>rand((B, L))</c> per step.</summary>
    Random,
}

/// <summary>Options of LLaDA's <c>generate()</c> (ML-GSAI/LLaDA <c>generate.py</c>), with its defaults.</summary>
public sealed record LladaSamplerOptions
{
    /// <summary>Total denoising steps (divided evenly among the blocks).</summary>
    public int Steps { get; init; } = 128;
    /// <summary>Tokens to generate after the prompt.</summary>
    public int GenLength { get; init; } = 128;
    /// <summary>Semi-autoregressive block length (GenLength must be a multiple).</summary>
    public int BlockLength { get; init; } = 128;
    /// <summary>Gumbel-max sampling temperature (0: greedy argmax).</summary>
    public double Temperature { get; init; }
    /// <summary>Unsupervised classifier-free guidance scale (0: off); combined as un + (cfg+1)(cond − un).</summary>
    public double CfgScale { get; init; }
    /// <summary>Remasking strategy.</summary>
    public LladaRemasking Remasking { get; init; } = LladaRemasking.LowConfidence;
    /// <summary>Forbid the end-of-text token in the token choice (<c>logits_eos_inf</c>).</summary>
    public bool LogitsEosInf { get; init; }
    /// <summary>Remove EOS/EOT from the confidence (<c>confidence_eos_eot_inf</c>, with the original's aliasing quirk).</summary>
    public bool ConfidenceEosEotInf { get; init; }
    /// <summary>End-of-text id for the two options above (default: the model's eos id).</summary>
    public long? EosTokenId { get; init; }
    /// <summary>End-of-turn id for <see cref="ConfidenceEosEotInf"/> (LLaDA-8B: 126348).</summary>
    public long? EotTokenId { get; init; }
}

/// <summary>
/// LLaDA's sampler (Nie et al. 2025, Algorithm 5 with semi-autoregressive blocks; <c>generate.py</c> of
/// ML-GSAI/LLaDA, reproduced token for token): blocks of <see cref="LladaSamplerOptions.BlockLength"/> are unmasked
/// left to right; within a block each step commits the scheduled number of masked positions with the highest
/// confidence. Reference quirks kept: masks inside the prompt are eligible in every block but are not counted in the
/// per-block schedule; the extra tokens of an uneven schedule go to the earliest steps; with temperature 0 and
/// <see cref="LladaSamplerOptions.ConfidenceEosEotInf"/> both EOS and EOT leave the confidence (aliasing), with T &gt; 0
/// only EOT does.
/// </summary>
public sealed class LladaSampler
{
    /// <summary>Creates the sampler, validating the options.</summary>
    public LladaSampler(LladaSamplerOptions options)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), $"steps must be at least 1, got {options.Steps}");
        if (options.GenLength < 1) throw new ArgumentOutOfRangeException(nameof(options), $"gen_length must be at least 1, got {options.GenLength}");
        if (options.BlockLength < 1 || options.GenLength % options.BlockLength != 0)
            throw new ArgumentException($"gen_length ({options.GenLength}) must be a positive multiple of block_length ({options.BlockLength})");
        var blocks = options.GenLength / options.BlockLength;
        if (options.Steps % blocks != 0)
            throw new ArgumentException($"steps ({options.Steps}) must be divisible by the number of blocks ({blocks} = gen_length / block_length)");
        if (!(options.Temperature >= 0) || double.IsInfinity(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), $"temperature must be finite and non-negative, got {options.Temperature}");
        if (!(options.CfgScale >= 0)) throw new ArgumentOutOfRangeException(nameof(options), $"cfg_scale must be non-negative, got {options.CfgScale}");
        if (!Enum.IsDefined(options.Remasking)) throw new ArgumentOutOfRangeException(nameof(options), $"unknown remasking '{options.Remasking}'");
        Options = options;
    }

    /// <summary>The options.</summary>
    public LladaSamplerOptions Options { get; }

    /// <summary>
    /// <c>get_num_transfer_tokens</c>: for each row, n // steps tokens per step plus one more in the first n % steps
    /// steps, n being the row's masked positions in the block.
    /// </summary>
    public static long[,] NumTransferTokens(long[] maskedPerRow, int steps)
    {
        var result = new long[maskedPerRow.Length, steps];
        for (var row = 0; row < maskedPerRow.Length; row++)
            for (var i = 0; i < steps; i++)
                result[row, i] = maskedPerRow[row] / steps + (i < maskedPerRow[row] % steps ? 1 : 0);
        return result;
    }

    /// <summary>Generates <see cref="LladaSamplerOptions.GenLength"/> tokens after each prompt.</summary>
    public SamplingResult Sample(IDenoiser model, SamplingRequest request, CancellationToken cancellationToken = default)
    {
        var o = Options;
        using var session = new SamplingSession(model, request, o.Steps, cancellationToken);
        int batch = session.BatchSize, promptLength = session.PromptLength;
        var length = promptLength + o.GenLength;
        if (length > model.Spec.MaxSequenceLength)
            throw new ArgumentException($"prompt ({promptLength}) + gen_length ({o.GenLength}) exceeds the model's maximum length {model.Spec.MaxSequenceLength}");
        var maskId = model.Spec.MaskTokenId;
        long? eos = o.EosTokenId ?? model.Spec.EosTokenId;
        if ((o.LogitsEosInf || o.ConfidenceEosEotInf) && eos is null) throw new ArgumentException("EOS options need an EosTokenId (the model has none)");
        if (o.ConfidenceEosEotInf && o.EotTokenId is null) throw new ArgumentException("ConfidenceEosEotInf needs EotTokenId");
        var device = model.Device;
        var blocks = o.GenLength / o.BlockLength;
        var stepsPerBlock = o.Steps / blocks;

        using var outer = NewDisposeScope();
        var x = full([batch, length], maskId, ScalarType.Int64, device);
        x.narrow(1, 0, promptLength).copy_(request.PromptIds);
        Tensor? attention = request.AttentionMask is null
            ? null
            : cat([request.AttentionMask.to(device, ScalarType.Int64), ones([batch, o.GenLength], ScalarType.Int64, device)], 1);
        var promptIndex = x.ne(maskId);
        session.Start(x);

        for (var block = 0; block < blocks; block++)
        {
            var blockStart = promptLength + block * o.BlockLength;
            var blockEnd = blockStart + o.BlockLength;
            long[] maskedInBlock;
            using (var counts = x.narrow(1, blockStart, o.BlockLength).eq(maskId).sum(1)) maskedInBlock = counts.data<long>();
            var numTransfer = NumTransferTokens(maskedInBlock, stepsPerBlock);
            for (var i = 0; i < stepsPerBlock; i++)
            {
                session.ThrowIfCancelled();
                var stepIndex = block * stepsPerBlock + i;
                using var scope = NewDisposeScope();
                var maskIndex = x.eq(maskId);
                var step = new StepContext(stepIndex, o.Steps, 1.0 - (double)stepIndex / o.Steps, x, maskIndex, batch, o.CfgScale > 0 ? 2 : 1, maskId);
                var logits = Logits(session, step, x, promptIndex, attention, maskId);
                if (o.LogitsEosInf) logits.select(-1, eos!.Value).fill_(double.NegativeInfinity);
                var noisy = o.Temperature == 0 ? logits : AddGumbelNoise(session, logits, o.Temperature);
                var x0 = noisy.argmax(-1);
                if (o.ConfidenceEosEotInf)
                {
                    noisy.select(-1, eos!.Value).fill_(double.NegativeInfinity);
                    logits.select(-1, o.EotTokenId!.Value).fill_(double.NegativeInfinity);
                }
                var x0p = o.Remasking == LladaRemasking.LowConfidence
                    ? logits.softmax(-1).gather(-1, x0.unsqueeze(-1)).squeeze(-1)
                    : session.Uniform([length], ScalarType.Float32);
                if (blockEnd < length) x0p.narrow(1, blockEnd, length - blockEnd).fill_(double.NegativeInfinity);
                x0 = where(maskIndex, x0, x);
                var confidence = where(maskIndex, x0p, double.NegativeInfinity);
                var transfer = zeros_like(maskIndex);
                for (var row = 0; row < batch; row++)
                {
                    var k = numTransfer[row, i];
                    if (k == 0) continue;
                    var (_, selected) = confidence[row].topk(k);
                    transfer[row].index_put_([selected], ones([k], ScalarType.Bool, device));
                }
                var next = where(transfer, x0, x).DetachFromDisposeScope();
                session.CompleteStep(step, logits, next);
                x.Dispose();
                x = next;
                outer.Include(x);
            }
        }
        return session.Finish(x.clone());
    }

    private Tensor Logits(SamplingSession session, StepContext step, Tensor x, Tensor promptIndex, Tensor? attention, long maskId)
    {
        var model = session.Model;
        Tensor logits;
        if (Options.CfgScale > 0)
        {
            var unconditional = x.masked_fill(promptIndex, maskId);
            var both = cat([x, unconditional], 0);
            step.ForwardMaskedPositions = both.eq(maskId);
            var all = session.Forward(step, new DenoiserInput(both) { AttentionMask = attention is null ? null : cat([attention, attention], 0) });
            var halves = all.chunk(2, 0);
            // un + (cfg + 1)·(cond − un) (generate.py).
            logits = halves[1] + (halves[0] - halves[1]) * (Options.CfgScale + 1);
        }
        else
        {
            step.ForwardMaskedPositions = step.MaskedPositions;
            logits = session.Forward(step, new DenoiserInput(x) { AttentionMask = attention });
        }
        return model.Spec.LogitShift == 1 ? DreamModel.ShiftLogits(logits) : logits;
    }

    /// <summary>
    /// Gumbel-max sampling in float64 (generate.py <c>add_gumbel_noise</c>): exp(logits) / (−log u)^T, u ~ U[0,1),
    /// whose argmax is a draw from softmax(logits / T).
    /// </summary>
    private static Tensor AddGumbelNoise(SamplingSession session, Tensor logits, double temperature)
    {
        var shape = logits.shape;
        var wide = logits.to(ScalarType.Float64);
        var noise = session.Uniform(shape[1..], ScalarType.Float64);
        var gumbel = noise.log().neg().pow(temperature);
        return wide.exp() / gumbel;
    }
}
