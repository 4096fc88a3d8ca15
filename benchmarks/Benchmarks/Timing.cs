using System.Diagnostics;

namespace DiffusionSteering.Benchmarks;

/// <summary>Warm-up then repeated timing; reports the median (robust to the machine's occasional outliers).</summary>
internal static class Timing
{
    public static double MedianSeconds(Action action, int warmup, int repeats)
    {
        for (var i = 0; i < warmup; i++) action();
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times[i] = watch.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    }
}
