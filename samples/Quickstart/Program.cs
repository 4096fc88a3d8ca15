// DiffusionSteering quickstart — the main job on the embedded default model:
//   load the model and its SAE → find each attribute's contrastive features → measure when each attribute commits
//   during denoising → generate with no, uniform and adaptive steering (single attributes and all three at once) →
//   print a table with 95% bootstrap intervals and write an HTML report with plots and example generations.
// Usage: dotnet run -c Release --project samples/Quickstart [-- --model DIR --sae DIR --sets DIR --scorers DIR --out DIR --quick]
using DiffusionSteering.Samples.Quickstart;

var repo = FindRepoRoot();
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var embedded = Path.Combine(repo, "samples", "EmbeddedModel");
var setsDefault = Directory.Exists(Path.Combine(embedded, "sets"))
    ? Path.Combine(embedded, "sets")
    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "diffusionsteering", "data", "built", "sets");
var options = new MissionOptions
{
    ModelFolder = Arg("model", Path.Combine(embedded, "model")),
    SaeFolder = Arg("sae", Path.Combine(embedded, "sae")),
    SetsFolder = Arg("sets", setsDefault),
    ScorersFolder = Arg("scorers", Path.Combine(embedded, "scorers")),
    OutputFolder = Arg("out", Path.Combine(repo, "quickstart-report")),
};
if (args.Contains("--quick"))
    options = options with { TextsPerClass = 40, Prompts = 4, SeedsPerPrompt = 4, CommitmentSamples = 16, Strengths = [1.0], NllDraws = 4, BootstrapResamples = 300 };

foreach (var (what, path) in new[] { ("model", options.ModelFolder), ("SAE", options.SaeFolder), ("labelled sets", options.SetsFolder) })
{
    if (Directory.Exists(path)) continue;
    Console.Error.WriteLine($"quickstart: the {what} folder {path} does not exist.");
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };
new Mission(options, Console.Out).Execute(cancellation.Token);
return 0;

static string FindRepoRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DiffusionSteering.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
