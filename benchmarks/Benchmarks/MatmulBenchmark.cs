using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Benchmarks;

/// <summary>GEMM throughput through the binding: C = A·B with n×n operands, fp32 and bf16 (same as reference/matmul.py).</summary>
internal static class MatmulBenchmark
{
    public static void Run(int n, int threads)
    {
        set_num_threads(threads);
        manual_seed(0);
        var flop = 2.0 * n * n * n;
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var a = randn([n, n]).to(dtype);
            using var b = randn([n, n]).to(dtype);
            var seconds = Timing.MedianSeconds(() => { using var c = a.matmul(b); }, warmup: 5, repeats: 21);
            Console.WriteLine($"matmul {dtype,-8} {n}^3 threads={threads}: {seconds * 1e3,8:F2} ms  {flop / seconds / 1e9,7:F1} GFLOPS");
        }
    }
}
