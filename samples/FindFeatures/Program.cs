// Find the SAE features that carry an attribute in your own labelled texts.
// Texts of the target label form class A, all other texts class B. Each text runs through the model under diffusion
// masking; the SAE encodes the residual at its layer; features are ranked by Cohen's d between the classes and tested
// (Mann–Whitney, Bonferroni). Prints the significant features and writes them as JSON for MeasureCommitment and
// SteerWithSchedule.
// Usage: dotnet run -c Release --project samples/FindFeatures -- --texts FILE.tsv --target LABEL
//        [--model DIR] [--sae DIR] [--per-class 120] [--out features.json]
// FILE.tsv: one text per line, "label \t text" or "label \t source \t text". Defaults: the embedded model and SAE.
using System.Globalization;
using System.Text.Json;
using DiffusionSteering.Samples;
using DiffusionSteering.Steering.Eval.Features;
using static DiffusionSteering.Torch.torch;

var options = new SampleArgs(args);
var textsPath = options.Required("texts", "FILE.tsv");
var target = options.Required("target", "LABEL");
var perClass = options.Int("per-class", 120);
var output = options.Optional("out") ?? "features.json";
using var noGrad = no_grad();

// 1. The model, its tokenizer and the SAE (the SAE's metadata says which layer it reads).
using var setup = new ModelWithSae(options);
var (model, sae, layer) = (setup.Model, setup.Sae, setup.Layer);

// 2. Your texts as token ids: class A = the target label, class B = the rest (a seeded random --per-class of each,
//    ≥ 4 tokens, so that every other label can land in class B whatever the file's order).
var random = new Random(1);
var texts = File.ReadLines(textsPath).Select(line => line.Split('\t')).Select(p => (label: p[0], text: p[^1])).OrderBy(_ => random.Next()).ToList();
long[] Ids(string text) => setup.Tokenizer.Encode(text, addSpecialTokens: false).Take(64).Select(i => (long)i).ToArray();
var classA = texts.Where(t => t.label == target).Select(t => Ids(t.text)).Where(ids => ids.Length >= 4).Take(perClass).ToList();
var classB = texts.Where(t => t.label != target).Select(t => Ids(t.text)).Where(ids => ids.Length >= 4).Take(perClass).ToList();
if (classA.Count == 0 || classB.Count == 0) throw new ArgumentException($"need texts labelled '{target}' and texts with other labels in {textsPath}");
Console.WriteLine($"{classA.Count} texts of '{target}' vs {classB.Count} others; SAE at layer {layer} with {sae.DSae} features");

// 3. The contrastive search.
var selection = ContrastiveFeatureFinder.Find(model, sae, layer, classA, classB, new FeatureFinderOptions { Seed = 1 });
Console.WriteLine($"{selection.TestCount} features tested; significant: {selection.KeptPositive.Count} more active for '{target}', " +
                  $"{selection.KeptNegative.Count} less active");
Console.WriteLine("feature  Cohen's d  mean(A)  mean(B)  adjusted p");
foreach (var f in selection.KeptPositive.Concat(selection.KeptNegative).Take(20))
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{f.Feature,7}  {f.CohensD,9:F2}  {f.MeanA,7:F3}  {f.MeanB,7:F3}  {f.AdjustedPValue,10:E1}"));

// 4. The features to steer with (SteerPerDirection strongest significant ones), for the other samples.
var steering = selection.SteeringPositive.Select(f => f.Feature).ToArray();
if (steering.Length == 0)
{
    Console.Error.WriteLine($"no feature is significantly more active for '{target}' (try more texts with --per-class, or another layer's SAE)");
    return 1;
}
File.WriteAllText(output, JsonSerializer.Serialize(new { target, layer, features = steering }, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"steering features for '{target}': [{string.Join(", ", steering)}] → {Path.GetFullPath(output)}");
return 0;
