using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Tests.Models;

/// <summary>A tiny random LLaDA checkpoint written to a temporary folder, to be broken on purpose by tests.</summary>
internal sealed class TempCheckpoint : IDisposable
{
    public TempCheckpoint()
    {
        Folder = Path.Combine(Path.GetTempPath(), "dsckpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Config = new JsonObject
        {
            ["architectures"] = new JsonArray("LLaDAModelLM"),
            ["model_type"] = "llada",
            ["d_model"] = 32, ["n_layers"] = 2, ["n_heads"] = 4, ["n_kv_heads"] = 2, ["mlp_hidden_size"] = 48,
            ["vocab_size"] = 100, ["embedding_size"] = 100, ["mask_token_id"] = 99, ["eos_token_id"] = 98, ["pad_token_id"] = 98,
            ["max_sequence_length"] = 64, ["rope_theta"] = 10000.0, ["rms_norm_eps"] = 1e-5, ["rope"] = true,
            ["block_type"] = "llama", ["layer_norm_type"] = "rms", ["weight_tying"] = false, ["torch_dtype"] = "float32",
        };
        WriteConfig();
        manual_seed(7);
        using var model = new LladaModel(LladaConfig.FromConfig(ModelConfig.Parse(Config.ToJsonString())));
        using var scope = NewDisposeScope();
        SafetensorsTorch.Save(WeightsPath, model.state_dict());
    }

    public string Folder { get; }
    public JsonObject Config { get; }
    public string WeightsPath => Path.Combine(Folder, "model.safetensors");

    public void WriteConfig() => File.WriteAllText(Path.Combine(Folder, "config.json"), Config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Rewrites the weights after changing them with <paramref name="edit"/>.</summary>
    public void EditWeights(Action<Dictionary<string, Tensor>> edit)
    {
        using var scope = NewDisposeScope();
        var tensors = SafetensorsTorch.Load(WeightsPath);
        edit(tensors);
        SafetensorsTorch.Save(WeightsPath, tensors);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
