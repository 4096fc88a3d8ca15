using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>The on-disk SAE formats this library reads.</summary>
public enum SaeFormat
{
    /// <summary>SAELens 6.x: <c>cfg.json</c> + <c>sae_weights.safetensors</c> (pre-6.0 flat configs too).</summary>
    SaeLens,
    /// <summary>EleutherAI sparsify: <c>cfg.json</c> + <c>sae.safetensors</c>.</summary>
    Sparsify,
    /// <summary>dictionary_learning / DLM-Scope (SAE4DLM): <c>ae.pt</c> + <c>config.json</c>.</summary>
    DictionaryLearning,
}

/// <summary>
/// Loads SAEs written by SAELens, sparsify and dictionary_learning (DLM-Scope), detecting the format from the files in
/// the folder, and checks them against the model they will read.
/// </summary>
public static class SaeLoader
{
    /// <summary>Which format a folder holds.</summary>
    public static SaeFormat Detect(string folder)
    {
        if (!Directory.Exists(folder)) throw new SaeFormatException($"SAE folder not found: {folder}");
        if (File.Exists(Path.Combine(folder, "sae_weights.safetensors"))) return SaeFormat.SaeLens;
        if (File.Exists(Path.Combine(folder, "sae.safetensors"))) return SaeFormat.Sparsify;
        if (File.Exists(Path.Combine(folder, "ae.pt"))) return SaeFormat.DictionaryLearning;
        throw new SaeFormatException($"{folder}: no sae_weights.safetensors (SAELens), sae.safetensors (sparsify) or ae.pt (dictionary_learning)");
    }

    /// <summary>
    /// Loads the SAE in <paramref name="folder"/>. When <paramref name="expectedDIn"/> is given (the model's hidden
    /// size), an SAE of another width is rejected.
    /// </summary>
    public static SparseAutoencoder Load(string folder, int? expectedDIn = null, Device? device = null, ScalarType? dtype = null)
    {
        var sae = Detect(folder) switch
        {
            SaeFormat.SaeLens => SaeLensFormat.Load(folder),
            SaeFormat.Sparsify => SparsifyFormat.Load(folder),
            _ => DictionaryLearningFormat.Load(folder),
        };
        if (expectedDIn is { } d && sae.DIn != d)
        {
            sae.Dispose();
            throw new SaeFormatException($"{folder}: the SAE reads d_in = {sae.DIn} but the model's hidden size is {d}");
        }
        if (device is not null || dtype is not null) sae.MoveTo(device ?? sae.Device, dtype);
        return sae;
    }

    /// <summary>Builds an SAE from a config and named weights in its own naming (W_enc, b_enc, W_dec, b_dec, threshold).</summary>
    internal static SparseAutoencoder Build(SaeConfig config, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new SaeFormatException($"{source}: {e.Message}", e);
        }
        var sae = new SparseAutoencoder(config);
        try
        {
            var expected = new Dictionary<string, long[]>
            {
                ["W_enc"] = [config.DIn, config.DSae], ["b_enc"] = [config.DSae],
                ["W_dec"] = [config.DSae, config.DIn], ["b_dec"] = [config.DIn],
            };
            if (config.Architecture == SaeArchitecture.JumpReLU) expected["threshold"] = [config.DSae];
            var problems = new List<string>();
            foreach (var (name, shape) in expected)
            {
                if (!weights.TryGetValue(name, out var t)) problems.Add($"missing tensor '{name}'");
                else if (!t.shape.SequenceEqual(shape))
                    problems.Add($"tensor '{name}' has shape [{string.Join(", ", t.shape)}] but the config implies [{string.Join(", ", shape)}]");
            }
            if (problems.Count > 0) throw new SaeFormatException($"{source}: " + string.Join("; ", problems));
            using var noGrad = no_grad();
            sae.W_enc.copy_(weights["W_enc"]);
            sae.b_enc.copy_(weights["b_enc"]);
            sae.W_dec.copy_(weights["W_dec"]);
            sae.b_dec.copy_(weights["b_dec"]);
            if (weights.TryGetValue("threshold", out var threshold))
            {
                if (config.Architecture != SaeArchitecture.JumpReLU && threshold.numel() != 1)
                    throw new SaeFormatException($"{source}: a {config.Architecture} SAE takes a scalar threshold, got [{string.Join(", ", threshold.shape)}]");
                sae.threshold.copy_(threshold.reshape(sae.threshold.shape));
            }
            return sae;
        }
        catch
        {
            sae.Dispose();
            throw;
        }
    }

    /// <summary>Reads a safetensors file into float32 tensors, wrapping format errors.</summary>
    internal static Dictionary<string, Tensor> ReadWeights(string path)
    {
        if (!File.Exists(path)) throw new SaeFormatException($"SAE weights not found: {path}");
        try
        {
            var tensors = SafetensorsTorch.Load(path, ScalarType.Float32);
            foreach (var t in tensors.Values) t.DetachFromDisposeScope();
            return tensors;
        }
        catch (Exception e) when (e is Torch.Safetensors.SafetensorsFormatException or IOException)
        {
            throw new SaeFormatException($"{path}: cannot read the weights ({e.Message})", e);
        }
    }

    internal static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
