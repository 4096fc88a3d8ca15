using System.Globalization;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch.Safetensors;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Tests.Sampling;

/// <summary>Finds sampler fixtures and reads their settings from the files' metadata.</summary>
internal static class SamplerFixtures
{
    public static IEnumerable<object[]> Files(string modelType, string pattern = "sampler_*.safetensors") =>
        Directory.GetDirectories(FixturePaths.Fixture("models"))
            .Where(d => Models.ModelFixtures.ModelType(Path.GetFileName(d)) == modelType)
            .SelectMany(d => Directory.GetFiles(d, pattern).Select(f => new object[] { Path.GetFileName(d), Path.GetFileName(f) }))
            .OrderBy(x => (string)x[0] + "/" + (string)x[1], StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, string> Metadata(string folder, string file)
    {
        using var f = SafetensorsFile.Open(Path.Combine(Models.ModelFixtures.Folder(folder), file));
        return new Dictionary<string, string>(f.Metadata);
    }

    public static int Int(IReadOnlyDictionary<string, string> m, string key) => int.Parse(m[key], CultureInfo.InvariantCulture);

    public static double Double(IReadOnlyDictionary<string, string> m, string key, double fallback = 0) =>
        m.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>"None" → null; "50 (model-config default)" → 50.</summary>
    public static double? Optional(IReadOnlyDictionary<string, string> m, string key)
    {
        if (!m.TryGetValue(key, out var v) || v == "None") return null;
        return double.Parse(v.Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Collects each step's scores (clones) so a test can compare them with the fixture.</summary>
    public sealed class StepRecorder : ISamplerObserver, IDisposable
    {
        public List<Tensor> Logits { get; } = new();
        public List<Tensor> Committed { get; } = new();
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [];

        public void OnStep(SamplerStep step)
        {
            Logits.Add(step.Logits.clone().DetachFromDisposeScope());
            Committed.Add(step.Committed.clone().DetachFromDisposeScope());
        }

        public void Dispose()
        {
            foreach (var t in Logits) t.Dispose();
            foreach (var t in Committed) t.Dispose();
        }
    }
}
