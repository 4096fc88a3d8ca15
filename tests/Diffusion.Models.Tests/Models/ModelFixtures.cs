using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Tests.Models;

/// <summary>Finds the model fixtures and captures residual streams through hooks.</summary>
internal static class ModelFixtures
{
    /// <summary>Every fixture model folder that has a forward.safetensors (names relative to fixtures/models).</summary>
    public static IEnumerable<object[]> ForwardFolders() =>
        Directory.GetDirectories(FixturePaths.Fixture("models"))
            .Where(d => File.Exists(Path.Combine(d, "forward.safetensors")))
            .Select(d => new object[] { Path.GetFileName(d) })
            .OrderBy(x => (string)x[0], StringComparer.Ordinal);

    public static string Folder(string name) => FixturePaths.Fixture("models", name);

    public static string ModelType(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(name), "config.json")));
        return doc.RootElement.GetProperty("model_type").GetString()!.ToLowerInvariant();
    }

    public static IDenoiser Load(string name, DenoiserLoadOptions? options = null) =>
        DenoiserLoader.CreateDefault().Load(Folder(name), options);

    public static Dictionary<string, Tensor> Tensors(string name, string file)
    {
        var tensors = SafetensorsTorch.Load(Path.Combine(Folder(name), file));
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        return tensors;
    }

    /// <summary>Records clones of every residual point during forward passes.</summary>
    public sealed class ResidualRecorder : IDisposable
    {
        private readonly List<IDisposable> _registrations = new();

        public ResidualRecorder(IDenoiser model)
        {
            for (var layer = 0; layer < model.Spec.NumLayers; layer++)
                foreach (var point in Enum.GetValues<HookPoint>())
                {
                    var (l, p) = (layer, point);
                    _registrations.Add(model.Hooks.Add(layer, point, (in HookContext _, Tensor residual) =>
                    {
                        Captured[(l, p)] = residual.detach().clone().DetachFromDisposeScope();
                        return null;
                    }));
                }
        }

        public Dictionary<(int layer, HookPoint point), Tensor> Captured { get; } = new();

        public void Dispose()
        {
            foreach (var r in _registrations) r.Dispose();
            foreach (var t in Captured.Values) t.Dispose();
        }
    }

    /// <summary>max |a − b| in float64 (shapes must match).</summary>
    public static double MaxAbsDiff(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        return (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();
    }

    public static double MeanAbsDiff(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        return (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().mean().item<double>();
    }

    /// <summary>
    /// Compares log-probabilities the way the fixtures README says: entries at the −1e6 level (≤ −1e5) must also be at
    /// that level and agree relatively (1e-6); all others within <paramref name="tolerance"/>.
    /// </summary>
    public static void AssertSubsClose(Tensor actual, Tensor expected, double tolerance)
    {
        using var scope = NewDisposeScope();
        var a = actual.to(ScalarType.Float64);
        var e = expected.to(ScalarType.Float64);
        var huge = e.le(-1e5);
        Assert.True(a.masked_select(huge).le(-1e5).all().item<bool>(), "an entry expected at the −1e6 level is not");
        var relative = ((a - e).abs() / e.abs().clamp_min(1)).masked_select(huge);
        if (relative.numel() > 0) Assert.True(relative.max().item<double>() <= 1e-6, "−1e6-level entries differ relatively by more than 1e-6");
        var normal = huge.logical_not();
        var diff = (a - e).abs().masked_select(normal);
        if (diff.numel() > 0) Assert.True(diff.max().item<double>() <= tolerance, $"max abs diff {diff.max().item<double>()} > {tolerance}");
    }
}
