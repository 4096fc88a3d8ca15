// Benchmarks of DiffusionSteering. Usage: Benchmarks <name> [options]; see benchmarks/README.md.
using DiffusionSteering.Benchmarks;

var name = args.Length > 0 ? args[0] : "help";
var options = new Options(args);

switch (name)
{
    case "matmul":
        MatmulBenchmark.Run(options.Int("n", 2048), options.Int("threads", 2));
        break;
    case "forward":
        ForwardBenchmark.Run(options);
        break;
    case "generate":
        GenerateBenchmark.Run(options);
        break;
    case "overhead":
        OverheadBenchmark.Run(options);
        break;
    case "load-memory":
        LoadMemoryBenchmark.Run(options);
        break;
    case "load-memory-child": // hidden: one load in a fresh process (started by load-memory)
        LoadMemoryBenchmark.Child(args[1], args[2]);
        break;
    case "sae-train": SaeTrainBenchmark.Run(options.Int("d-in", 768), options.Int("d-sae", 16384), options.Int("k", 32), options.Int("batch", 4096), options.Int("steps", 5), options.Int("warmup", 1), options.Int("threads", 2)); break;
    default:
        Console.WriteLine("""
            benchmarks (see benchmarks/README.md):
              matmul  [--n 2048] [--threads 2]
              sae-train [--d-in 768] [--d-sae 16384] [--k 32] [--batch 4096] [--steps 5] [--threads 2]
              forward --model llada|mdlm [--batch 4] [--length 256] [--dtype fp32|bf16|both] [--threads 2]
                      [--warmup 2] [--repeats 7] [--mlp-hidden 2048] [--clock wall|cpu] [--check DIR]
              generate --model llada|mdlm [--dtype bf16|fp32] [--batch 4] [--prompt 64] [--gen 64] [--steps 64]
                       [--block 32] [--threads 2] [--warmup 1] [--repeats 3] [--clock wall|cpu] [--hooks]
              load-memory [--size-mb 1000] [--dir DIR]
              overhead [--n 20000] [--threads 1] [--clock wall|cpu]
            """);
        break;
}
