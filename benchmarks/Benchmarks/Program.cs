// Benchmarks of DiffusionSteering. Usage: Benchmarks <name> [options]; see benchmarks/README.md.
using DiffusionSteering.Benchmarks;

var name = args.Length > 0 ? args[0] : "help";
int Option(string key, int fallback)
{
    var i = Array.IndexOf(args, "--" + key);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

switch (name)
{
    case "matmul":
        MatmulBenchmark.Run(Option("n", 2048), Option("threads", 2));
        break;
    case "sae-train": SaeTrainBenchmark.Run(Option("d-in", 768), Option("d-sae", 16384), Option("k", 32), Option("batch", 4096), Option("steps", 5), Option("warmup", 1), Option("threads", 2)); break;
    default:
        Console.WriteLine("benchmarks: matmul [--n 2048] [--threads 2]");
        break;
}
