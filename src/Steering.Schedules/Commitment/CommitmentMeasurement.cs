using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Schedules.Commitment;

/// <summary>
/// Measures a commitment profile end to end (paper b, App. C): sample N sequences with the recorder attached, score the
/// final sequences for the attribute, keep those accepted with confidence ≥ a threshold, and build the profile from
/// the kept samples. The scorer is a delegate so this package needs nothing from the evaluation package above it.
/// </summary>
public static class CommitmentMeasurement
{
    /// <summary>
    /// Runs <paramref name="sample"/> once per batch of prompts (rows of <paramref name="prompts"/>, each with its seed) and
    /// returns the profile plus the acceptance of every sample.
    /// </summary>
    /// <param name="sample">Runs one sampling request (e.g. <c>r => sampler.Sample(model, r)</c>).</param>
    /// <param name="prompts">Prompt ids [N, Lp].</param>
    /// <param name="seeds">One seed per prompt row.</param>
    /// <param name="recorder">The recorder (its generated region should start at Lp).</param>
    /// <param name="confidence">The attribute scorer's confidence for the target class, given a final sequence's ids.</param>
    /// <param name="threshold">Samples with confidence below it are dropped (paper b: 0.6 for informality).</param>
    /// <param name="model">Model name for the profile.</param>
    /// <param name="attribute">Attribute name for the profile.</param>
    /// <param name="batchSize">Rows per sampling call.</param>
    /// <param name="smoothingWindow">Moving-average window of the emergence curve.</param>
    /// <param name="costModel">Per-step cost model.</param>
    /// <param name="settings">Extra settings recorded in the profile.</param>
    /// <param name="attentionMask">Optional 0/1 prompt mask [N, Lp] (left padding).</param>
    /// <param name="minimumKept">
    /// When fewer samples pass the threshold, the profile is built from all samples and its settings say so
    /// (<c>acceptance = fallback</c>); 0 never falls back (and an empty selection throws).
    /// </param>
    /// <param name="cancellationToken">Cancels between batches and steps.</param>
    public static (CommitmentProfile profile, IReadOnlyList<double> confidences) Measure(
        Func<SamplingRequest, CancellationToken, SamplingResult> sample, Tensor prompts, IReadOnlyList<ulong> seeds, CommitmentRecorder recorder,
        Func<long[], double> confidence, double threshold, string model, string attribute, int batchSize = 8, int smoothingWindow = 1,
        CostModel costModel = CostModel.Uniform, IReadOnlyDictionary<string, string>? settings = null, Tensor? attentionMask = null,
        int minimumKept = 0, CancellationToken cancellationToken = default)
    {
        var rows = (int)prompts.size(0);
        if (seeds.Count != rows) throw new ArgumentException($"{seeds.Count} seeds for {rows} prompts");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        var confidences = new List<double>(rows);
        for (var start = 0; start < rows; start += batchSize)
        {
            var count = Math.Min(batchSize, rows - start);
            using var scope = NewDisposeScope();
            var request = new SamplingRequest
            {
                PromptIds = prompts.narrow(0, start, count),
                AttentionMask = attentionMask?.narrow(0, start, count),
                Seeds = seeds.Skip(start).Take(count).ToArray(),
                Observers = [recorder],
            };
            using var result = sample(request, cancellationToken);
            var length = (int)result.Sequences.size(1);
            var ids = result.Sequences.data<long>();
            for (var r = 0; r < count; r++) confidences.Add(confidence(ids.AsSpan(r * length, length).ToArray()));
        }
        var keep = confidences.Select(c => c >= threshold).ToArray();
        var allSettings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["acceptance_threshold"] = threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (minimumKept > 0 && keep.Count(k => k) < minimumKept)
        {
            allSettings["acceptance"] = $"fallback: all samples ({keep.Count(k => k)} of {keep.Length} passed, fewer than {minimumKept})";
            keep = Enumerable.Repeat(true, keep.Length).ToArray();
        }
        var profile = recorder.BuildProfile(model, attribute, keep, smoothingWindow, costModel: costModel, settings: allSettings);
        return (profile, confidences);
    }
}
