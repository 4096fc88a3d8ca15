using System.Globalization;

namespace DiffusionSteering.Benchmarks;

/// <summary>Minimal <c>--key value</c> / <c>--flag</c> command-line reader shared by the benchmarks.</summary>
internal sealed class Options(string[] args)
{
    private int IndexOf(string key) => Array.IndexOf(args, "--" + key);

    public string? String(string key)
    {
        var i = IndexOf(key);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public string String(string key, string fallback) => String(key) ?? fallback;

    public int Int(string key, int fallback) => String(key) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    public double Double(string key, double fallback) => String(key) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string key) => IndexOf(key) >= 0;
}
