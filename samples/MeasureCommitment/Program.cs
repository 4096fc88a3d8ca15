// Measure when an attribute commits during denoising: generate from prompts while recording the SAE features of the
// attribute at every step, keep the samples that an attribute scorer accepts, and summarise the emergence curve —
// K-block fractions, the per-step signal s_t and cost c_t, CV(s/c) and the predicted efficiency ratio ρ = 1 + CV² of
// an adaptive schedule over a uniform one. The profile (JSON) drives AdaptiveSchedule in SteerWithSchedule.
// Usage: dotnet run -c Release --project samples/MeasureCommitment -- --features features.json --scorer SCORER.json
//        --target CLASS [--model DIR] [--sae DIR] [--samples 32] [--steps 32] [--threshold 0.6] [--out profile.json]
// features.json comes from FindFeatures; scorers from TrainScorers (the embedded ones: samples/EmbeddedModel/scorers).
using System.Globalization;
using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Steering.Eval.Scorers;
using DiffusionSteering.Steering.Schedules.Commitment;
using static DiffusionSteering.Torch.torch;

string? Arg(string name)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
int IntArg(string name, int fallback) => Arg(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

var embedded = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "EmbeddedModel");
var modelFolder = Arg("model") ?? Path.Combine(embedded, "model");
var saeFolder = Arg("sae") ?? Path.Combine(embedded, "sae");
var scorer = NGramTextClassifier.Load(Arg("scorer") ?? throw new ArgumentException("missing --scorer FILE.json"));
var target = Arg("target") ?? throw new ArgumentException("missing --target CLASS");
var samples = IntArg("samples", 32);
var steps = IntArg("steps", 32);
var output = Arg("out") ?? "profile.json";
using var featuresJson = JsonDocument.Parse(File.ReadAllText(Arg("features") ?? throw new ArgumentException("missing --features FILE.json")));
var features = featuresJson.RootElement.GetProperty("features").EnumerateArray().Select(e => e.GetInt64()).ToList();
set_num_threads(Math.Min(Environment.ProcessorCount, 2));
using var noGrad = no_grad();

using var model = DenoiserLoader.CreateDefault().Load(modelFolder);
var tokenizer = Tokenizer.FromFile(Path.Combine(modelFolder, "tokenizer.json"));
using var sae = SaeLoader.Load(saeFolder, model.Spec.HiddenSize);
var layer = sae.Metadata.Layer ?? model.Spec.NumLayers / 2;
// The features must be this SAE's (FindFeatures records the layer it searched).
if (featuresJson.RootElement.TryGetProperty("layer", out var searched) && searched.GetInt32() != layer)
    throw new ArgumentException($"the features were found at layer {searched.GetInt32()}, but this SAE reads layer {layer}");
if (features.Count == 0 || features.Any(f => f < 0 || f >= sae.DSae))
    throw new ArgumentException($"the features must be 1 or more latent indices in [0, {sae.DSae}) of this SAE");
if (!scorer.Classes.Contains(target))
    throw new ArgumentException($"--target {target} is not one of the scorer's classes ({string.Join(", ", scorer.Classes)})");

// One short prompt repeated: every sample differs by its seed (random unmasking order).
var prompt = tokenizer.Encode("The", addSpecialTokens: false).Select(i => (long)i).ToArray();
using var prompts = tensor(Enumerable.Repeat(prompt, samples).SelectMany(p => p).ToArray(), [samples, prompt.Length]);
var seeds = Enumerable.Range(0, samples).Select(i => (ulong)i).ToArray();
var sampler = new LladaSampler(new LladaSamplerOptions { Steps = steps, GenLength = steps, BlockLength = steps, Remasking = LladaRemasking.Random });

// The recorder observes every step; the scorer decides which samples express the attribute.
var recorder = new CommitmentRecorder(sae, layer, features, generatedFrom: prompt.Length);
string Text(long[] ids) => tokenizer.Decode(ids[prompt.Length..].Where(id => id != model.Spec.MaskTokenId).Select(id => (int)id), skipSpecialTokens: true);
var (profile, confidences) = CommitmentMeasurement.Measure(
    (request, ct) => sampler.Sample(model, request, ct), prompts, seeds, recorder,
    ids => scorer.ProbabilityOf(Text(ids), target), threshold: double.Parse(Arg("threshold") ?? "0.6", CultureInfo.InvariantCulture),
    model: Path.GetFileName(Path.GetFullPath(modelFolder)), attribute: target, batchSize: 16, smoothingWindow: 3, minimumKept: 4);
profile.Save(output);

string F(double x) => x.ToString("F3", CultureInfo.InvariantCulture);
Console.WriteLine($"{profile.SamplesKept} of {profile.SamplesRecorded} samples accepted (mean P({target}) = {F(confidences.Average())})");
const string bars = " ▁▂▃▄▅▆▇█";
Console.WriteLine("emergence over the steps: " + string.Concat(profile.Emergence.Select(e => bars[(int)Math.Round(Math.Clamp(e, 0, 1) * 8)])));
Console.WriteLine($"share of emergence per {profile.BlockFractions.Count} blocks: [{string.Join(" ", profile.BlockFractions.Select(F))}]");
Console.WriteLine($"CV(s/c) = {F(profile.CoefficientOfVariation)}, predicted efficiency ratio ρ = {F(profile.PredictedEfficiencyRatio)}");
Console.WriteLine($"profile → {Path.GetFullPath(output)}");
return 0;
