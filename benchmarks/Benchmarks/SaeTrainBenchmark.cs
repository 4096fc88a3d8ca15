using System.Diagnostics;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Sae.Core.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Benchmarks;

/// <summary>
/// TopK SAE training throughput (tokens/s) on CPU from random activations: <see cref="SaeTrainer"/> (sparse encoder
/// gradient and embedding-bag decoder over the k active rows) against reference/sae_train.py (the same math with a
/// dense decoder, as dictionary_learning). Both: ReLU → TopK, x − b_dec, geometric-median b_dec on the first batch,
/// activation normalisation, Adam with warm-up, decoder-gradient projection, clip 1.0, decoder renormalisation.
/// </summary>
internal static class SaeTrainBenchmark
{
    public static void Run(int dIn, int dSae, int k, int batch, int steps, int warmup, int threads)
    {
        set_num_threads(threads);
        var options = new SaeTrainingOptions { TotalSteps = warmup + steps, BatchSize = batch, WarmupSteps = 1000, Seed = 0 };
        using var trainer = new SaeTrainer(new SaeConfig { DIn = dIn, DSae = dSae, K = k }, options);
        using var generator = new Generator(0);
        // A pool of random activation batches, generated outside the timed region (as in the reference).
        var pool = Enumerable.Range(0, 4).Select(_ => (randn([batch, dIn], ScalarType.Float32, null, generator) * 2 + 0.5).DetachFromDisposeScope()).ToList();
        for (var i = 0; i < warmup; i++)
        {
            using var scope = NewDisposeScope();
            trainer.TrainStep(pool[i % pool.Count]);
        }
        var times = new double[steps];
        SaeStepStatistics? last = null;
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            last = trainer.TrainStep(pool[(warmup + i) % pool.Count]);
            times[i] = watch.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        var median = steps % 2 == 1 ? times[steps / 2] : 0.5 * (times[steps / 2 - 1] + times[steps / 2]);
        Console.WriteLine($"sae-train TopK d_in={dIn} d_sae={dSae} k={k} batch={batch} threads={threads}: {median * 1e3,9:F1} ms/step (median of {steps})  " +
            $"{batch / median,9:F0} tokens/s  (loss {last!.Loss:F4})");
        foreach (var t in pool) t.Dispose();
    }
}
