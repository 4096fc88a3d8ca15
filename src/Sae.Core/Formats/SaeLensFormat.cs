using System.Globalization;
using System.Text.Json.Nodes;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// SAELens 6.x folders (<c>cfg.json</c> + <c>sae_weights.safetensors</c>): read, including pre-6.0 flat configs, and
/// written (with this library's DLM metadata under <c>metadata</c>, keys prefixed <c>dlm_</c>).
/// </summary>
public static class SaeLensFormat
{
    /// <summary>Config file name.</summary>
    public const string ConfigFileName = "cfg.json";
    /// <summary>Weights file name.</summary>
    public const string WeightsFileName = "sae_weights.safetensors";

    private static readonly string[] KnownKeys =
    [
        "d_in", "d_sae", "dtype", "device", "apply_b_dec_to_input", "normalize_activations", "reshape_activations", "metadata",
        "architecture", "k", "rescale_acts_by_decoder_norm",
        // training-config keys SAELens writes beside the inference ones
        "decoder_init_norm", "aux_loss_coefficient", "use_sparse_activations", "topk_threshold_lr", "matryoshka_widths",
        "l1_coefficient", "lp_norm", "l1_warm_up_steps", "jumprelu_init_threshold", "jumprelu_bandwidth", "jumprelu_sparsity_loss_mode",
        "jumprelu_tanh_scale", "l0_coefficient", "l0_warm_up_steps", "pre_act_loss_coefficient",
        // pre-6.0 flat configs
        "hook_point", "hook_name", "hook_layer", "hook_point_layer", "hook_head_index", "hook_point_head_index", "model_name",
        "activation_fn_str", "activation_fn", "activation_fn_kwargs", "context_size", "prepend_bos", "dataset_path",
        "dataset_trust_remote_code", "finetuning_scaling_factor", "sae_lens_training_version", "sae_lens_version", "neuronpedia_id",
        "model_from_pretrained_kwargs", "seqpos_slice", "exclude_special_tokens",
    ];

    /// <summary>Loads an SAELens folder.</summary>
    public static SparseAutoencoder Load(string folder)
    {
        var cfg = SaeJson.Load(Path.Combine(folder, ConfigFileName));
        cfg.RejectUnknown(KnownKeys);
        var normalize = cfg.String("normalize_activations") ?? "none";
        if (normalize != "none") throw new SaeFormatException($"{cfg.Source}: normalize_activations '{normalize}' is not supported (only 'none')");
        var reshape = cfg.String("reshape_activations") ?? "none";
        if (reshape != "none") throw new SaeFormatException($"{cfg.Source}: reshape_activations '{reshape}' is not supported (only 'none')");

        // v6: architecture + k; pre-6.0: activation_fn(_str) + activation_fn_kwargs.k.
        var architectureName = cfg.String("architecture") ?? (cfg.String("activation_fn") ?? cfg.String("activation_fn_str")) switch
        {
            "topk" => "topk",
            null or "relu" => "standard",
            var other => throw new SaeFormatException($"{cfg.Source}: activation function '{other}' is not supported"),
        };
        var k = cfg.OptionalInt("k") ?? cfg.Object("activation_fn_kwargs")?.OptionalInt("k");
        var architecture = architectureName switch
        {
            "standard" => SaeArchitecture.Standard,
            "topk" => SaeArchitecture.TopK,
            "jumprelu" => SaeArchitecture.JumpReLU,
            "batchtopk" => SaeArchitecture.BatchTopK,
            var other => throw new SaeFormatException($"{cfg.Source}: architecture '{other}' is not supported (standard, topk, jumprelu, batchtopk)"),
        };
        if (architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK && k is null)
            throw new SaeFormatException($"{cfg.Source}: a {architectureName} SAE needs 'k'");
        var metadata = cfg.Object("metadata");
        var hookName = metadata?.String("hook_name") ?? cfg.String("hook_name") ?? cfg.String("hook_point");
        var config = new SaeConfig
        {
            DIn = cfg.Int("d_in"),
            DSae = cfg.Int("d_sae"),
            Architecture = architecture,
            K = k ?? 1,
            ApplyBDecToInput = cfg.Bool("apply_b_dec_to_input", true),
            RescaleActsByDecoderNorm = cfg.Bool("rescale_acts_by_decoder_norm", false),
            Metadata = new SaeMetadata
            {
                ModelName = metadata?.String("model_name") ?? cfg.String("model_name"),
                HookName = hookName,
                Layer = metadata?.OptionalInt("dlm_layer") ?? LayerFromHookName(hookName),
                PositionPolicy = metadata?.String("dlm_position_policy"),
                MaskRateMin = metadata?.OptionalDouble("dlm_t_min"),
                MaskRateMax = metadata?.OptionalDouble("dlm_t_max"),
                ContextSize = metadata?.OptionalInt("context_size") ?? cfg.OptionalInt("context_size"),
            },
        };
        var weights = SaeLoader.ReadWeights(Path.Combine(folder, WeightsFileName));
        try
        {
            var unexpected = weights.Keys.Except(["W_enc", "b_enc", "W_dec", "b_dec", "threshold"]).ToList();
            if (unexpected.Count > 0) throw new SaeFormatException($"{Path.Combine(folder, WeightsFileName)}: unexpected tensor(s) {string.Join(", ", unexpected)}");
            return SaeLoader.Build(config, weights, folder);
        }
        finally
        {
            SaeLoader.DisposeAll(weights);
        }
    }

    /// <summary>"blocks.12.hook_resid_post" → 12.</summary>
    internal static int? LayerFromHookName(string? hookName)
    {
        if (hookName is null) return null;
        var parts = hookName.Split('.');
        return parts.Length >= 2 && parts[0] is "blocks" or "layers" && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var layer) ? layer : null;
    }

    /// <summary>
    /// Writes <paramref name="sae"/> as an SAELens 6 folder (atomic file writes). BatchTopK and MultiTopK are saved the
    /// way SAELens saves its trained BatchTopK: as "jumprelu" with the scalar threshold broadcast (BatchTopK) or as
    /// "topk" with k = the active k (MultiTopK).
    /// </summary>
    public static void Save(SparseAutoencoder sae, string folder)
    {
        Directory.CreateDirectory(folder);
        var c = sae.Config;
        var (architecture, saveThreshold) = c.Architecture switch
        {
            SaeArchitecture.Standard => ("standard", false),
            SaeArchitecture.JumpReLU => ("jumprelu", true),
            SaeArchitecture.BatchTopK when sae.HasScalarThreshold => ("jumprelu", true),
            SaeArchitecture.BatchTopK => throw new InvalidOperationException("a BatchTopK SAE without an inference threshold cannot be saved for SAELens"),
            _ => ("topk", false),
        };
        var m = c.Metadata;
        var metadata = new JsonObject
        {
            ["sae_lens_version"] = "6.18.0",
            ["sae_lens_training_version"] = "6.18.0",
            ["model_name"] = m.ModelName,
            ["hook_name"] = m.HookName ?? (m.Layer is { } l ? $"blocks.{l}.hook_resid_post" : null),
            ["hook_head_index"] = null,
            ["context_size"] = m.ContextSize,
            ["prepend_bos"] = false,
            ["exclude_special_tokens"] = false,
            ["dlm_layer"] = m.Layer,
            ["dlm_position_policy"] = m.PositionPolicy,
            ["dlm_t_min"] = m.MaskRateMin,
            ["dlm_t_max"] = m.MaskRateMax,
            ["dlm_library"] = "DiffusionSteering",
        };
        var cfg = new JsonObject
        {
            ["d_in"] = c.DIn,
            ["d_sae"] = c.DSae,
            ["dtype"] = sae.DType switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", ScalarType.Float64 => "float64", _ => "float32" },
            ["device"] = "cpu",
            ["apply_b_dec_to_input"] = c.ApplyBDecToInput,
            ["normalize_activations"] = "none",
            ["reshape_activations"] = "none",
            ["metadata"] = metadata,
            ["architecture"] = architecture,
        };
        if (architecture == "topk")
        {
            cfg["k"] = c.Architecture == SaeArchitecture.MultiTopK ? sae.ActiveK : c.K;
            cfg["rescale_acts_by_decoder_norm"] = c.RescaleActsByDecoderNorm;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tensors = new Dictionary<string, Tensor>
        {
            ["W_enc"] = sae.W_enc.detach().cpu(),
            ["b_enc"] = sae.b_enc.detach().cpu(),
            ["W_dec"] = sae.W_dec.detach().cpu(),
            ["b_dec"] = sae.b_dec.detach().cpu(),
        };
        if (saveThreshold) tensors["threshold"] = sae.threshold.expand(c.DSae).contiguous().cpu();
        SafetensorsTorch.Save(Path.Combine(folder, WeightsFileName), tensors);
        var configPath = Path.Combine(folder, ConfigFileName);
        var temp = configPath + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, cfg.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, configPath, overwrite: true);
    }
}
