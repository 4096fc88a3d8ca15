// Setup shared by the FindFeatures, MeasureCommitment and SteerWithSchedule samples (compiled into each): argument
// reading, the model + tokenizer + SAE triple, feature files and scorers checked against that SAE.
using System.Globalization;
using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Steering.Eval.Scorers;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Samples;

/// <summary><c>--key value</c> arguments.</summary>
internal sealed class SampleArgs(string[] args)
{
    public string? Optional(string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public string Required(string name, string what) => Optional(name) ?? throw new ArgumentException($"missing --{name} {what}");
    public int Int(string name, int fallback) => Optional(name) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => Optional(name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;
}

/// <summary>A model folder's model and tokenizer with an SAE on one of its layers (defaults: the embedded ones).</summary>
internal sealed class ModelWithSae : IDisposable
{
    public ModelWithSae(SampleArgs args)
    {
        var embedded = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "EmbeddedModel");
        ModelFolder = args.Optional("model") ?? Path.Combine(embedded, "model");
        set_num_threads(Math.Min(Environment.ProcessorCount, 2));
        Model = DenoiserLoader.CreateDefault().Load(ModelFolder);
        Tokenizer = Tokenizer.FromFile(Path.Combine(ModelFolder, "tokenizer.json"));
        Sae = SaeLoader.Load(args.Optional("sae") ?? Path.Combine(embedded, "sae"), Model.Spec.HiddenSize);
        Layer = Sae.Metadata.Layer ?? Model.Spec.NumLayers / 2;
    }

    public string ModelFolder { get; }
    public IDenoiser Model { get; }
    public Tokenizer Tokenizer { get; }
    public SparseAutoencoder Sae { get; }
    /// <summary>The layer the SAE reads (its metadata; the middle layer when it has none).</summary>
    public int Layer { get; }

    /// <summary>The features of a FindFeatures file, checked to be latents of this SAE found at its layer.</summary>
    public List<long> ReadFeatures(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        if (json.RootElement.TryGetProperty("layer", out var searched) && searched.GetInt32() != Layer)
            throw new ArgumentException($"{path}: the features were found at layer {searched.GetInt32()}, but this SAE reads layer {Layer}");
        var features = json.RootElement.GetProperty("features").EnumerateArray().Select(e => e.GetInt64()).ToList();
        if (features.Count == 0 || features.Any(f => f < 0 || f >= Sae.DSae))
            throw new ArgumentException($"{path}: the features must be 1 or more latent indices in [0, {Sae.DSae}) of this SAE");
        return features;
    }

    /// <summary>A scorer file, checked to have the target class.</summary>
    public static NGramTextClassifier ReadScorer(string path, string target)
    {
        var scorer = NGramTextClassifier.Load(path);
        if (!scorer.Classes.Contains(target))
            throw new ArgumentException($"--target {target} is not one of the classes of {path} ({string.Join(", ", scorer.Classes)})");
        return scorer;
    }

    /// <summary>The ids of <paramref name="text"/> (no special tokens), repeated as <paramref name="rows"/> rows [rows, L].</summary>
    public Tensor RepeatedPrompt(string text, int rows, out long[] ids)
    {
        ids = Tokenizer.Encode(text, addSpecialTokens: false).Select(i => (long)i).ToArray();
        return tensor(Enumerable.Repeat(ids, rows).SelectMany(p => p).ToArray(), [rows, ids.Length]);
    }

    /// <summary>The generated part of a sequence as text (mask tokens and special tokens dropped).</summary>
    public string DecodeGenerated(IEnumerable<long> generated) =>
        Tokenizer.Decode(generated.Where(id => id != Model.Spec.MaskTokenId).Select(id => (int)id), skipSpecialTokens: true).Trim();

    public void Dispose()
    {
        Sae.Dispose();
        Model.Dispose();
    }
}
