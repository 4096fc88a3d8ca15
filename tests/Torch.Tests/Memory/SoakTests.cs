using System.Diagnostics;
using Xunit.Abstractions;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Memory;

[Collection(SerialCollection.Name)]
public class SoakTests
{
    private readonly ITestOutputHelper _output;

    public SoakTests(ITestOutputHelper output) { _output = output; }

    private static long SettledRss()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }

    [Fact]
    public void TenThousandIterationsLeakNoTensorsAndNoMemory()
    {
        const int iterations = 10_000;
        using var model = new nn.Linear(32, 8);
        using var norm = new nn.LayerNorm(32);
        var parameters = model.parameters().Concat(norm.parameters()).ToList();
        using var opt = new optim.AdamW(parameters, lr: 1e-3);
        var targets = new long[] { 0, 3, 7, 1, -100, 2, 5, 4 };
        var host = new float[8 * 32];

        void Iteration(int i)
        {
            using var scope = NewDisposeScope();
            using var g = new Generator((ulong)i);
            var x = randn([8, 32], generator: g);
            var h = norm.forward(x).gelu();
            var logits = model.forward(h);
            var loss = nn.functional.cross_entropy(logits, tensor(targets)) + logits.softmax(-1).square().mean();
            opt.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            opt.step();
            using (no_grad())
            {
                var view = from_array(host, [8, 32]);               // zero-copy, pinned until freed
                view.copy_(x.t().contiguous().t());
                var top = logits.topk(3).indexes;
                var picked = x[top[.., 0]][.., 1..^1];
                var parts = cat(x.split(8, 1), 0).chunk(4);
                picked = picked.masked_fill(picked > 0, 0).index_select(0, tensor(new long[] { 0, 2 }));
                var state = g.get_state();
                _ = (parts[0].sum() + picked.sum() + state.to(float32).mean()).item<float>();
            }
        }

        Iteration(0);                                             // optimizer state now exists
        var baseline = DisposeScopeTests.SettledLiveCount();
        var stopwatch = Stopwatch.StartNew();
        long rssAt1000 = 0;
        for (var i = 1; i <= iterations; i++)
        {
            Iteration(i);
            if (i == 1_000)
            {
                rssAt1000 = SettledRss();
                Assert.Equal(baseline, LiveTensorCount);
            }
        }
        var rssAtEnd = SettledRss();
        _output.WriteLine($"{iterations} iterations in {stopwatch.Elapsed.TotalSeconds:F1} s; RSS {rssAt1000 / 1048576.0:F1} MiB at 1,000, {rssAtEnd / 1048576.0:F1} MiB at {iterations:N0}");
        Assert.Equal(baseline, LiveTensorCount);
        Assert.True(rssAtEnd - rssAt1000 < 24L * 1024 * 1024,
            $"RSS grew by {(rssAtEnd - rssAt1000) / 1048576.0:F1} MiB between iteration 1,000 and {iterations:N0}");
        Assert.All(parameters, p => Assert.False(p.IsInvalid));
        Assert.All(parameters, p => Assert.True(p.isfinite().all().item<bool>()));
    }
}
