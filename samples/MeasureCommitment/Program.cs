// Measure when an attribute commits during denoising: generate from prompts while recording the SAE features of the
// attribute at every step, keep the samples that an attribute scorer accepts, and summarise the emergence curve —
// K-block fractions, the per-step signal s_t and cost c_t, CV(s/c) and the predicted efficiency ratio ρ = 1 + CV² of
// an adaptive schedule over a uniform one. The profile (JSON) drives AdaptiveSchedule in SteerWithSchedule.
// Usage: dotnet run -c Release --project samples/MeasureCommitment -- --features features.json --scorer SCORER.json
//        --target CLASS [--model DIR] [--sae DIR] [--samples 32] [--steps 32] [--threshold 0.6] [--out profile.json]
// features.json comes from FindFeatures; scorers from TrainScorers (the embedded ones: samples/EmbeddedModel/scorers).
using System.Globalization;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Samples;
using DiffusionSteering.Steering.Schedules.Commitment;
using static DiffusionSteering.Torch.torch;

var options = new SampleArgs(args);
var target = options.Required("target", "CLASS");
var samples = options.Int("samples", 32);
var steps = options.Int("steps", 32);
var output = options.Optional("out") ?? "profile.json";
using var noGrad = no_grad();

using var setup = new ModelWithSae(options);
var features = setup.ReadFeatures(options.Required("features", "FILE.json"));
var scorer = ModelWithSae.ReadScorer(options.Required("scorer", "FILE.json"), target);

// One short prompt repeated: every sample differs by its seed (random unmasking order).
using var prompts = setup.RepeatedPrompt("The", samples, out var prompt);
var seeds = Enumerable.Range(0, samples).Select(i => (ulong)i).ToArray();
var sampler = new LladaSampler(new LladaSamplerOptions { Steps = steps, GenLength = steps, BlockLength = steps, Remasking = LladaRemasking.Random });

// The recorder observes every step; the scorer decides which samples express the attribute.
var recorder = new CommitmentRecorder(setup.Sae, setup.Layer, features, generatedFrom: prompt.Length);
var (profile, confidences) = CommitmentMeasurement.Measure(
    (request, ct) => sampler.Sample(setup.Model, request, ct), prompts, seeds, recorder,
    ids => scorer.ProbabilityOf(setup.DecodeGenerated(ids[prompt.Length..]), target), threshold: options.Double("threshold", 0.6),
    model: Path.GetFileName(Path.GetFullPath(setup.ModelFolder)), attribute: target, batchSize: 16, smoothingWindow: 3, minimumKept: 4);
profile.Save(output);

string F(double x) => x.ToString("F3", CultureInfo.InvariantCulture);
Console.WriteLine($"{profile.SamplesKept} of {profile.SamplesRecorded} samples accepted (mean P({target}) = {F(confidences.Average())})");
const string bars = " ▁▂▃▄▅▆▇█";
Console.WriteLine("emergence over the steps: " + string.Concat(profile.Emergence.Select(e => bars[(int)Math.Round(Math.Clamp(e, 0, 1) * 8)])));
Console.WriteLine($"share of emergence per {profile.BlockFractions.Count} blocks: [{string.Join(" ", profile.BlockFractions.Select(F))}]");
Console.WriteLine($"CV(s/c) = {F(profile.CoefficientOfVariation)}, predicted efficiency ratio ρ = {F(profile.PredictedEfficiencyRatio)}");
Console.WriteLine($"profile → {Path.GetFullPath(output)}");
return 0;
