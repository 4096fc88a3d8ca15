// Steer generation with a schedule of your own: implement IInterventionSchedule (α for step t of T), hand it to
// FeatureSteering with a direction built from SAE features, and compare it with no steering and with uniform
// steering of the same total strength Σα, by the share of generations an attribute scorer assigns to the target.
// Usage: dotnet run -c Release --project samples/SteerWithSchedule -- --features features.json --scorer SCORER.json
//        --target CLASS [--alpha 1.0] [--model DIR] [--sae DIR] [--samples 32] [--steps 32]
// --alpha is in units of the layer's mean residual norm. features.json: FindFeatures; scorers: TrainScorers.
using System.Globalization;
using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Steering.Eval.Scorers;
using DiffusionSteering.Steering.Schedules.Directions;
using DiffusionSteering.Steering.Schedules.Interventions;
using DiffusionSteering.Steering.Schedules.Schedules;
using DiffusionSteering.Torch;
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
var alpha = double.Parse(Arg("alpha") ?? "1.0", CultureInfo.InvariantCulture);
var samples = IntArg("samples", 32);
var steps = IntArg("steps", 32);
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

var prompt = tokenizer.Encode("The", addSpecialTokens: false).Select(i => (long)i).ToArray();
using var prompts = tensor(Enumerable.Repeat(prompt, samples).SelectMany(p => p).ToArray(), [samples, prompt.Length]);
var seeds = Enumerable.Range(0, samples).Select(i => (ulong)(100 + i)).ToArray();
var sampler = new LladaSampler(new LladaSamplerOptions { Steps = steps, GenLength = steps, BlockLength = steps, Remasking = LladaRemasking.Random });

// The direction: the features' decoder atoms, summed and normalised; strengths in units of the mean residual norm.
using var direction = SteeringDirection.FromSaeFeatures(sae, features.Select(f => (f, 1.0)).ToList(), normalize: true);
var strength = alpha * MeanResidualNorm(model, layer, prompts, steps);

// Your schedule: here, all of the strength in the first half of the trajectory, fading out linearly (α_t ∝ 1 − 2t/T).
// Scaled so that Σ_t α_t equals the uniform schedule's T·α.
var earlyFade = new EarlyFadeSchedule(strength);
var runs = new (string name, IInterventionSchedule? schedule)[]
{
    ("none", null), ("uniform", new UniformSchedule(strength)), ("early fade (yours)", earlyFade),
};
Console.WriteLine($"steering {features.Count} features at layer {layer}; Σα: uniform {strength * steps:F1}, yours " +
                  $"{Enumerable.Range(0, steps).Sum(t => earlyFade.Strength(t, steps)):F1}");
foreach (var (name, schedule) in runs)
{
    IResidualIntervention[] interventions = schedule is null ? [] : [new FeatureSteering(model, direction, schedule, layer, HookPoint.ResidPost, TokenScope.Masked)];
    using var result = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = seeds, Interventions = interventions });
    var length = (int)result.Sequences.size(1);
    var ids = result.Sequences.data<long>();
    var texts = Enumerable.Range(0, samples).Select(r => tokenizer.Decode(ids.Skip(r * length + prompt.Length).Take(length - prompt.Length)
        .Where(id => id != model.Spec.MaskTokenId).Select(id => (int)id), skipSpecialTokens: true).Trim()).ToList();
    var hits = texts.Count(t => scorer.Classes[scorer.Classify(t)] == target);
    Console.WriteLine($"{name,-20} {hits,3}/{samples} classified '{target}'   e.g. \"The {texts[0]}\"");
}
return 0;

static double MeanResidualNorm(IDenoiser model, int layer, Tensor prompts, int generated)
{
    using var scope = NewDisposeScope();
    var canvas = cat([prompts, full([prompts.size(0), generated], model.Spec.MaskTokenId, ScalarType.Int64)], 1);
    double norm = 0;
    using (model.Hooks.Add(layer, HookPoint.ResidPost, (in HookContext c, Tensor r) => { norm = r.norm(2.0, [-1L]).mean().item<float>(); return null; }))
        model.Forward(new DenoiserInput(canvas));
    return norm;
}

/// <summary>A schedule of your own: α_t ∝ 1 − 2t/T on the first half of the steps, 0 after, scaled so that Σα = T·α (as uniform).</summary>
internal sealed class EarlyFadeSchedule(double alpha) : IInterventionSchedule
{
    public double Strength(int step, int totalSteps)
    {
        var half = totalSteps / 2.0;
        if (step >= half) return 0;
        // Weights 1 − t/half for t < half, normalised to sum to T.
        var weights = Enumerable.Range(0, (int)Math.Ceiling(half)).Sum(t => 1 - t / half);
        return alpha * totalSteps * (1 - step / half) / weights;
    }
}
