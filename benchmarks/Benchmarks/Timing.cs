using System.Diagnostics;

namespace DiffusionSteering.Benchmarks;

/// <summary>Warm-up then repeated timing; reports the median (robust to the machine's occasional outliers).</summary>
internal static class Timing
{
    /// <summary>
    /// Median duration of <paramref name="action"/>. <paramref name="clock"/> "wall" (default) measures elapsed time;
    /// "cpu" measures this process's CPU time (user + system, all threads), which other load on the machine disturbs
    /// much less; use it with one thread, since idle OpenMP threads spin and add CPU time.
    /// </summary>
    public static double MedianSeconds(Action action, int warmup, int repeats, string clock = "wall")
    {
        Func<double> now = clock switch
        {
            "wall" => () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency,
            "cpu" => () => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            _ => throw new ArgumentException($"--clock must be wall or cpu, got {clock}"),
        };
        for (var i = 0; i < warmup; i++) action();
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var start = now();
            action();
            times[i] = now() - start;
        }
        Array.Sort(times);
        return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
    }

    /// <summary>
    /// Medians of two actions timed in alternation (a, b, a, b, …) after <paramref name="warmup"/> runs of each, so that
    /// drifting machine load affects both alike.
    /// </summary>
    public static (double A, double B) MedianSecondsAlternating(Action a, Action b, int warmup, int repeats, string clock = "wall")
    {
        for (var i = 0; i < warmup; i++)
        {
            a();
            b();
        }
        var timesA = new double[repeats];
        var timesB = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            timesA[i] = MedianSeconds(a, 0, 1, clock);
            timesB[i] = MedianSeconds(b, 0, 1, clock);
        }
        return (Median(timesA), Median(timesB));
    }

    private static double Median(double[] times)
    {
        Array.Sort(times);
        var n = times.Length;
        return n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    }
}
