// Steer generation with a schedule of your own: implement IInterventionSchedule (α for step t of T), hand it to
// FeatureSteering with a direction built from SAE features, and compare it with no steering and with uniform
// steering of the same total strength Σα, by the share of generations an attribute scorer assigns to the target.
// Usage: dotnet run -c Release --project samples/SteerWithSchedule -- --features features.json --scorer SCORER.json
//        --target CLASS [--alpha 1.0] [--model DIR] [--sae DIR] [--samples 32] [--steps 32]
// --alpha is in units of the layer's mean residual norm. features.json: FindFeatures; scorers: TrainScorers.
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Samples;
using DiffusionSteering.Steering.Schedules.Directions;
using DiffusionSteering.Steering.Schedules.Interventions;
using DiffusionSteering.Steering.Schedules.Schedules;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

var options = new SampleArgs(args);
var target = options.Required("target", "CLASS");
var alpha = options.Double("alpha", 1.0);
var samples = options.Int("samples", 32);
var steps = options.Int("steps", 32);
using var noGrad = no_grad();

using var setup = new ModelWithSae(options);
var (model, layer) = (setup.Model, setup.Layer);
var features = setup.ReadFeatures(options.Required("features", "FILE.json"));
var scorer = ModelWithSae.ReadScorer(options.Required("scorer", "FILE.json"), target);

using var prompts = setup.RepeatedPrompt("The", samples, out var prompt);
var seeds = Enumerable.Range(0, samples).Select(i => (ulong)(100 + i)).ToArray();
var sampler = new LladaSampler(new LladaSamplerOptions { Steps = steps, GenLength = steps, BlockLength = steps, Remasking = LladaRemasking.Random });

// The direction: the features' decoder atoms, summed and normalised; strengths in units of the mean residual norm.
using var direction = SteeringDirection.FromSaeFeatures(setup.Sae, features.Select(f => (f, 1.0)).ToList(), normalize: true);
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
    var texts = Enumerable.Range(0, samples).Select(r => setup.DecodeGenerated(ids.Skip(r * length + prompt.Length).Take(length - prompt.Length))).ToList();
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
        // Σ_{t < n} (1 − t/half) over the n = ⌈half⌉ steps of the first half, so that the weights sum to T.
        var n = Math.Ceiling(half);
        var weights = n - n * (n - 1) / (2 * half);
        return alpha * totalSteps * (1 - step / half) / weights;
    }
}
