using DiffusionSteering.Tests;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Enumerates the read-only fixture files for theories (paths relative to the fixtures folder).</summary>
internal static class FixtureCatalog
{
    public static IEnumerable<string> SafetensorsFiles() => Relative("*.safetensors");

    public static IEnumerable<string> SummaryFiles() => Relative("fixture_summary.json");

    public static TheoryData<string> AsTheoryData(IEnumerable<string> items)
    {
        var data = new TheoryData<string>();
        foreach (var item in items) data.Add(item);
        return data;
    }

    public static string Full(string relative) => FixturePaths.Fixture(relative.Split('/'));

    private static IEnumerable<string> Relative(string pattern)
    {
        var root = FixturePaths.Fixtures;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Fixtures folder '{root}' not found.");
        return Directory.GetFiles(root, pattern, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
