// Train a TopK SAE on any DLM checkpoint folder (the embedded model, or a real LLaDA/Dream/MDLM folder) from text:
// the model runs on text corrupted at t ~ U[0.05, 0.5]; residuals at one layer, at the masked positions (Mask-SAE,
// DLM-Scope) or all positions, stream through a shuffling buffer into the trainer; the SAE is saved in SAELens format
// with its DLM metadata, and its held-out metrics (EV, L0, dead fraction, ΔLM) are printed.
// Usage: dotnet run -c Release --project samples/TrainSae -- --model DIR --text FILE --out DIR
//        [--layer L --d-sae N --k K --steps S --batch B --policy masked|unmasked|all --max-lines N]
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Sae.Core.Metrics;
using DiffusionSteering.Sae.Core.Training;
using static DiffusionSteering.Torch.torch;

string Arg(string name, string? fallback = null)
{
    var i = Array.IndexOf(args, "--" + name);
    if (i >= 0 && i + 1 < args.Length) return args[i + 1];
    return fallback ?? throw new ArgumentException($"missing --{name}");
}
int IntArg(string name, int fallback) => int.Parse(Arg(name, fallback.ToString()));

var modelFolder = Arg("model");
var output = Arg("out");
set_num_threads(Math.Min(Environment.ProcessorCount, 2));
using var model = DenoiserLoader.CreateDefault().Load(modelFolder);
var tokenizer = Tokenizer.FromFile(Path.Combine(modelFolder, "tokenizer.json"));
var layer = IntArg("layer", model.Spec.NumLayers / 2);
var length = IntArg("seq", Math.Min(64, model.Spec.MaxSequenceLength));
var policy = Arg("policy", "masked") switch
{
    "masked" => PositionPolicy.Masked,
    "unmasked" => PositionPolicy.Unmasked,
    "all" => PositionPolicy.All,
    var p => throw new ArgumentException($"unknown policy '{p}'"),
};

// Token windows of the text, one per line (long lines are cut, short ones skipped).
var lines = File.ReadLines(Arg("text")).Where(l => l.Length > 20).Take(IntArg("max-lines", 20000));
var sequences = lines.Select(l => tokenizer.Encode(l, addSpecialTokens: false).Take(length).Select(i => (long)i).ToArray())
    .Where(s => s.Length == length).ToList();
var heldOut = sequences.TakeLast(Math.Max(16, sequences.Count / 20)).ToList();
var training = sequences.Take(sequences.Count - heldOut.Count).ToList();
Console.WriteLine($"{training.Count} training and {heldOut.Count} held-out windows of {length} tokens; layer {layer}, policy {policy}");

var site = new ResidualSite(layer, HookPoint.ResidPost);
var sourceOptions = new ActivationSourceOptions { Sites = [site], Policy = policy, Seed = 1, ModelName = Path.GetFileName(Path.GetFullPath(modelFolder).TrimEnd('/')) };
var spec = new SaeTrainingSpec(site, new SaeConfig { DIn = model.Spec.HiddenSize, DSae = IntArg("d-sae", 8 * model.Spec.HiddenSize), K = IntArg("k", 16) });
var steps = IntArg("steps", 1500);
using var source = new DenoiserActivationSource(model, training, sourceOptions);
using var run = new SaeTrainingRun(source, [spec], new SaeTrainingRunOptions
{
    Training = new SaeTrainingOptions { TotalSteps = steps, BatchSize = IntArg("batch", 1024), WarmupSteps = Math.Min(200, steps / 10), DeadTokenWindow = 2_000_000 },
    CheckpointDirectory = Path.Combine(output, "checkpoints"),
    LogEverySteps = 100,
});
var progress = new Progress<SaeTrainingProgress>(p =>
{
    if (p.Step % 100 == 0) Console.WriteLine($"step {p.Step}/{p.TotalSteps}: {p.Tokens:N0} tokens, loss {p.Saes[0].Loss:F4}");
});
run.Train(progress);
var saved = run.SaveSaes(output);
Console.WriteLine($"saved {string.Join(", ", saved)}");

using var sae = run.ExportSae(0);
using var evalSource = new DenoiserActivationSource(model, heldOut, sourceOptions with { Seed = 99, Repeat = false });
var metrics = SaeEvaluator.Evaluate(sae, evalSource, site, maxTokens: 20_000);
Console.WriteLine($"held-out: EV {metrics.Overall.ExplainedVariance:F4}, L0 {metrics.Overall.L0:F2}, dead fraction {metrics.Overall.DeadFraction:F4}");
var delta = DeltaLm.Evaluate(model, sae, site, heldOut.Take(64).ToList(), new DeltaLmOptions { Seed = 5 });
Console.WriteLine($"held-out ΔLM {delta.Overall.Delta:F4} nats (clean {delta.Overall.CleanLoss:F4}, with the SAE {delta.Overall.SaeLoss:F4})");
