using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Benchmarks;

/// <summary>
/// Fixed cost of one operator call through the binding on tiny tensors (same as reference/overhead.py): what a
/// forward pass pays per op on top of the kernel's own work.
/// </summary>
internal static class OverheadBenchmark
{
    public static void Run(Options options)
    {
        var n = options.Int("n", 20000);
        var clock = options.String("clock", "wall");
        set_num_threads(options.Int("threads", 1));
        using var noGrad = no_grad();
        using var a = ones([4, 4]);
        using var b = zeros([4, 4]);
        using var w = ones([4, 4]);
        Report("add (result disposed at once)", n, clock, () =>
        {
            for (var i = 0; i < n; i++) { using var c = a.add(b); }
        });
        Report("add (100 per dispose scope)", n, clock, () =>
        {
            for (var i = 0; i < n; i += 100)
            {
                using var scope = NewDisposeScope();
                for (var j = 0; j < 100; j++) a.add(b);
            }
        });
        Report("add_ (in place)", n, clock, () =>
        {
            for (var i = 0; i < n; i++) a.add_(b);
        });
        Report("transpose (view)", n, clock, () =>
        {
            for (var i = 0; i < n; i++) { using var t = a.transpose(0, 1); }
        });
        Report("linear 4x4", n, clock, () =>
        {
            for (var i = 0; i < n; i++) { using var y = nn.functional.linear(a, w); }
        });
        Report("shape query", n, clock, () =>
        {
            for (var i = 0; i < n; i++) _ = a.shape;
        });
        Report("dtype query", n, clock, () =>
        {
            for (var i = 0; i < n; i++) _ = a.dtype;
        });
    }

    /// <summary>One result line; reference/overhead.py prints the same format.</summary>
    private static void Report(string what, int n, string clock, Action loop)
    {
        var seconds = Timing.MedianSeconds(loop, warmup: 2, repeats: 7, clock);
        Console.WriteLine($"overhead {what,-30}: {seconds / n * 1e9,8:F0} ns/op");
    }
}
