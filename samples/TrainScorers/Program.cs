// Train attribute scorers (n-gram logistic regression) on labelled sets and save them as files, with a held-out card.
// Each set is a folder <sets>/<name>/ with train.tsv and test.tsv, one example per line: label \t text, or
// label \t source \t text. Writes <out>/<name>.json (load with NGramTextClassifier.Load) and prints a Markdown table
// of held-out accuracies with 95% intervals (the scorer card).
// Usage: dotnet run -c Release --project samples/TrainScorers -- --sets DIR --out DIR [--only sentiment,topic]
//        [--l2 1e-3] [--max-n 2] [--min-count 2]   (NGramClassifierOptions: L2 penalty, longest n-gram, document frequency)
using System.Globalization;
using DiffusionSteering.Steering.Eval.Scorers;

string? Arg(string name)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

var sets = Arg("sets") ?? throw new ArgumentException("missing --sets DIR");
var output = Arg("out") ?? throw new ArgumentException("missing --out DIR");
var only = Arg("only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
Directory.CreateDirectory(output);
var scorerOptions = new NGramClassifierOptions
{
    L2Penalty = double.Parse(Arg("l2") ?? "1e-3", CultureInfo.InvariantCulture),
    MaxN = int.Parse(Arg("max-n") ?? "2", CultureInfo.InvariantCulture),
    MinCount = int.Parse(Arg("min-count") ?? "2", CultureInfo.InvariantCulture),
};

static List<(string text, string label)> ReadSet(string path) =>
    File.ReadLines(path).Select((line, i) => line.Split('\t') switch
    {
        [var label, var text] => (text, label),
        [var label, _, var text] => (text, label),
        _ => throw new InvalidDataException($"{path}:{i + 1}: expected label \\t text or label \\t source \\t text"),
    }).ToList();

static string F(double x) => x.ToString("F3", CultureInfo.InvariantCulture);

Console.WriteLine("| scorer | classes | train | held-out | accuracy [95% CI] | balanced accuracy | per class |");
Console.WriteLine("|---|---|---:|---:|---|---:|---|");
foreach (var folder in Directory.GetDirectories(sets).OrderBy(d => d, StringComparer.Ordinal))
{
    var name = Path.GetFileName(folder);
    if (only is not null && !only.Contains(name)) continue;
    if (!File.Exists(Path.Combine(folder, "train.tsv")) || !File.Exists(Path.Combine(folder, "test.tsv"))) continue;
    var train = ReadSet(Path.Combine(folder, "train.tsv"));
    var test = ReadSet(Path.Combine(folder, "test.tsv"));
    var scorer = NGramTextClassifier.Train(train, scorerOptions);
    var heldOut = scorer.Evaluate(test);
    scorer.Save(Path.Combine(output, name + ".json"));
    var perClass = string.Join(", ", scorer.Classes.Select((c, i) => $"{c} {F(heldOut.PerClassAccuracy[i])}"));
    Console.WriteLine($"| `{name}.json` | {string.Join(" / ", scorer.Classes)} | {train.Count:N0} | {heldOut.Count:N0} | " +
                      $"{F(heldOut.Accuracy)} [{F(heldOut.AccuracyInterval.Lower)}, {F(heldOut.AccuracyInterval.Upper)}] | {F(heldOut.BalancedAccuracy)} | {perClass} |");
}
return 0;
