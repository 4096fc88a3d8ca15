using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>
/// LLaDA's Monte-Carlo estimate of log p(answer | prompt) (Nie et al. 2025, Eq. 6; <c>get_log_likelihood.py</c>): in
/// each draw k ∈ [1, T] answer tokens are masked uniformly at random (k stratified across the batch), and the
/// cross-entropy of the masked tokens is weighted by T/k. Returns the negative mean loss, a lower bound on the
/// log-likelihood.
/// </summary>
public static class MonteCarloLikelihood
{
    /// <summary>Estimates log p(answer | prompt) with <paramref name="draws"/> masked copies in batches of <paramref name="batchSize"/>.</summary>
    public static double LogLikelihood(IDenoiser model, long[] prompt, long[] answer, int draws = 128, int batchSize = 16,
        Generator? generator = null, CancellationToken cancellationToken = default)
    {
        if (answer.Length == 0) throw new ArgumentException("the answer must hold at least one token", nameof(answer));
        if (draws < 1 || batchSize < 1 || draws % batchSize != 0)
            throw new ArgumentException($"draws ({draws}) must be a positive multiple of batch size ({batchSize})");
        var maskId = model.Spec.MaskTokenId;
        var device = model.Device;
        int promptLength = prompt.Length, target = answer.Length, length = promptLength + target;
        using var outer = NewDisposeScope();
        using var noGrad = no_grad();
        var sequence = tensor([.. prompt, .. answer], [1, length], device: device).expand(batchSize, length).contiguous();
        var losses = new List<double>();
        for (var d = 0; d < draws / batchSize; d++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            // k ~ U{1..T}; counts round(linspace(k, k + (b−1)·T/b, b)), wrapped into [1, T] (stratified over the batch).
            var k = randint(1, target + 1, [1], generator: generator, device: device).item<long>();
            var counts = linspace(k, k + (batchSize - 1) * ((double)target / batchSize), batchSize, ScalarType.Float32, device).round().to(ScalarType.Int64);
            counts = (counts - 1).remainder(target) + 1;
            var maskedAnswer = arange(0, target, ScalarType.Int64, device).unsqueeze(0).lt(counts.unsqueeze(1));
            var permuted = stack(Enumerable.Range(0, batchSize).Select(i =>
                maskedAnswer[i].index_select(0, rand([target], ScalarType.Float32, device, generator).argsort())).ToList());
            var isMask = cat([zeros([batchSize, promptLength], ScalarType.Bool, device), permuted], 1);
            var noisy = sequence.masked_fill(isMask, maskId);
            var pMask = (counts.to(ScalarType.Float32) / target).unsqueeze(1).expand(batchSize, length);
            var logits = model.Forward(new DenoiserInput(noisy));
            var nll = DlmLoss.TokenNll(model, logits, noisy, sequence);
            var loss = (nll / pMask).masked_select(isMask).sum() / batchSize;
            losses.Add(loss.item<float>());
        }
        return -losses.Average();
    }
}
