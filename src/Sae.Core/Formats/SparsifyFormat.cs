using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>EleutherAI sparsify hookpoint folders (<c>cfg.json</c> + <c>sae.safetensors</c>): TopK SAEs.</summary>
public static class SparsifyFormat
{
    private static readonly string[] KnownKeys =
        ["activation", "expansion_factor", "normalize_decoder", "num_latents", "k", "multi_topk", "skip_connection", "transcode", "d_in", "signed"];

    /// <summary>Loads a sparsify folder (W_enc = encoder.weightᵀ, b_enc = encoder.bias, W_dec, b_dec; x − b_dec before encoding).</summary>
    public static SparseAutoencoder Load(string folder)
    {
        var cfg = SaeJson.Load(Path.Combine(folder, "cfg.json"));
        cfg.RejectUnknown(KnownKeys);
        var activation = cfg.String("activation") ?? "topk";
        if (activation != "topk") throw new SaeFormatException($"{cfg.Source}: activation '{activation}' is not supported (only 'topk')");
        if (cfg.Bool("skip_connection", false)) throw new SaeFormatException($"{cfg.Source}: skip connections (W_skip) are not supported");
        if (cfg.Bool("transcode", false)) throw new SaeFormatException($"{cfg.Source}: transcoders are not supported");
        if (cfg.Bool("signed", false)) throw new SaeFormatException($"{cfg.Source}: signed activations are not supported");
        var dIn = cfg.Int("d_in");
        var numLatents = cfg.OptionalInt("num_latents") ?? 0;
        var dSae = numLatents > 0 ? numLatents : checked(dIn * cfg.Int("expansion_factor"));
        var weightsPath = Path.Combine(folder, "sae.safetensors");
        var raw = SaeLoader.ReadWeights(weightsPath);
        try
        {
            var unexpected = raw.Keys.Except(["encoder.weight", "encoder.bias", "W_dec", "b_dec"]).ToList();
            if (unexpected.Count > 0) throw new SaeFormatException($"{weightsPath}: unexpected tensor(s) {string.Join(", ", unexpected)}");
            foreach (var name in new[] { "encoder.weight", "encoder.bias", "W_dec", "b_dec" })
                if (!raw.ContainsKey(name)) throw new SaeFormatException($"{weightsPath}: missing tensor '{name}'");
            using var scope = NewDisposeScope();
            var weights = new Dictionary<string, Tensor>
            {
                ["W_enc"] = raw["encoder.weight"].t(),
                ["b_enc"] = raw["encoder.bias"],
                ["W_dec"] = raw["W_dec"],
                ["b_dec"] = raw["b_dec"],
            };
            var config = new SaeConfig
            {
                DIn = dIn,
                DSae = dSae,
                Architecture = SaeArchitecture.TopK,
                K = cfg.Int("k"),
                ApplyBDecToInput = true,
                Metadata = new SaeMetadata { HookName = Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/')), Layer = SaeLensFormat.LayerFromHookName(Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/'))) },
            };
            return SaeLoader.Build(config, weights, folder);
        }
        finally
        {
            SaeLoader.DisposeAll(raw);
        }
    }
}
