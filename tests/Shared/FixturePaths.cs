namespace DiffusionSteering.Tests;

/// <summary>Locates the repository root and the read-only reference fixtures beside it.</summary>
internal static class FixturePaths
{
    private static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);

    /// <summary>The folder that holds DiffusionSteering.sln.</summary>
    public static string RepoRoot => RepoRootLazy.Value;

    /// <summary><c>../shared/fixtures</c> beside the checkout (override with DIFFUSIONSTEERING_FIXTURES).</summary>
    public static string Fixtures =>
        Environment.GetEnvironmentVariable("DIFFUSIONSTEERING_FIXTURES") is { Length: > 0 } overridden
            ? overridden
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "fixtures"));

    /// <summary>A path under the fixtures folder.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DiffusionSteering.sln"))) return dir.FullName;
            dir = dir.Parent;
        }
        throw new InvalidOperationException("DiffusionSteering.sln not found above " + AppContext.BaseDirectory);
    }
}
