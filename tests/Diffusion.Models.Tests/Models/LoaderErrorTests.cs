using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Tests.Models;

/// <summary>Bad checkpoints and bad inputs get precise exceptions.</summary>
public class LoaderErrorTests
{
    private static CheckpointException LoadFails(TempCheckpoint checkpoint) =>
        Assert.Throws<CheckpointException>(() => DenoiserLoader.CreateDefault().Load(checkpoint.Folder).Dispose());

    [Fact]
    public void ValidCheckpointLoads()
    {
        using var checkpoint = new TempCheckpoint();
        using var model = DenoiserLoader.CreateDefault().Load(checkpoint.Folder);
        Assert.Equal(2, model.Spec.NumLayers);
        Assert.Equal(99, model.Spec.MaskTokenId);
    }

    [Fact]
    public void MissingConfig()
    {
        using var checkpoint = new TempCheckpoint();
        File.Delete(Path.Combine(checkpoint.Folder, "config.json"));
        Assert.Contains("config file not found", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void UnknownModelType()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config["model_type"] = "gpt-neo-diffusion";
        checkpoint.Config["architectures"] = new JsonArray("Whatever");
        checkpoint.WriteConfig();
        Assert.Contains("unknown model_type 'gpt-neo-diffusion'", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void MissingRequiredKey()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config.Remove("d_model");
        checkpoint.WriteConfig();
        Assert.Contains("required key 'd_model' is missing", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void KeyOfTheWrongType()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config["n_heads"] = "four";
        checkpoint.WriteConfig();
        Assert.Contains("key 'n_heads' must be an integer", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void UnknownConfigKeyIsRejectedUnlessAllowed()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config["sliding_window_size"] = 128;
        checkpoint.WriteConfig();
        Assert.Contains("unknown config key(s) 'sliding_window_size'", LoadFails(checkpoint).Message);
        using var model = DenoiserLoader.CreateDefault().Load(checkpoint.Folder, new DenoiserLoadOptions { AllowUnknownConfigKeys = true });
        Assert.Equal(32, model.Spec.HiddenSize);
    }

    [Fact]
    public void UnsupportedOptionIsRejected()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config["alibi"] = true;
        checkpoint.WriteConfig();
        Assert.Contains("'alibi' = True is not supported", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void MissingTensor()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.EditWeights(t => { t["model.transformer.blocks.1.up_proj.weight"].Dispose(); t.Remove("model.transformer.blocks.1.up_proj.weight"); });
        Assert.Contains("missing tensor(s): model.transformer.blocks.1.up_proj.weight", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void UnexpectedTensor()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.EditWeights(t => t["model.transformer.blocks.0.q_proj.bias"] = zeros(32));
        Assert.Contains("unexpected tensor(s): model.transformer.blocks.0.q_proj.bias", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void ShapeContradictingTheConfig()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config["mlp_hidden_size"] = 64;
        checkpoint.WriteConfig();
        var message = LoadFails(checkpoint).Message;
        Assert.Contains("tensor 'model.transformer.blocks.0.ff_proj.weight' has shape [48, 32] but the config implies [64, 32]", message);
    }

    [Fact]
    public void ShardListedButAbsent()
    {
        using var checkpoint = new TempCheckpoint();
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = new FileInfo(checkpoint.WeightsPath).Length },
            ["weight_map"] = new JsonObject(),
        };
        using (var scope = NewDisposeScope())
        {
            var tensors = DiffusionSteering.Torch.Serialization.SafetensorsTorch.Load(checkpoint.WeightsPath);
            var first = tensors.Keys.Take(5).ToDictionary(k => k, k => tensors[k]);
            var rest = tensors.Keys.Skip(5).ToDictionary(k => k, k => tensors[k]);
            DiffusionSteering.Torch.Serialization.SafetensorsTorch.Save(Path.Combine(checkpoint.Folder, "model-00001-of-00002.safetensors"), first);
            foreach (var k in first.Keys) index["weight_map"]![k] = "model-00001-of-00002.safetensors";
            foreach (var k in rest.Keys) index["weight_map"]![k] = "model-00002-of-00002.safetensors";
        }
        File.Delete(checkpoint.WeightsPath);
        File.WriteAllText(Path.Combine(checkpoint.Folder, "model.safetensors.index.json"), index.ToJsonString());
        Assert.Contains("model-00002-of-00002.safetensors", LoadFails(checkpoint).Message);
    }

    [Fact]
    public void TokenIdsOutsideTheVocabulary()
    {
        using var checkpoint = new TempCheckpoint();
        using var model = DenoiserLoader.CreateDefault().Load(checkpoint.Folder);
        using var ids = tensor(new long[] { 1, 2, 100 }, [1, 3]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new DenoiserInput(ids)));
        Assert.Contains("token ids must be in [0, 100)", e.Message);
        using var longIds = zeros([1, 65], ScalarType.Int64);
        Assert.Contains("exceeds the model's maximum 64", Assert.Throws<ArgumentException>(() => model.Forward(new DenoiserInput(longIds))).Message);
        using var floatIds = zeros([1, 3]);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => model.Forward(new DenoiserInput(floatIds))).Message);
    }

    [Fact]
    public void NewArchitecturesRegisterOnALoaderInstance()
    {
        using var checkpoint = new TempCheckpoint();
        checkpoint.Config["model_type"] = "my-llada";
        checkpoint.Config["architectures"] = new JsonArray("MyLladaVariant");
        checkpoint.WriteConfig();
        var calls = 0;
        var loader = DenoiserLoader.CreateDefault().Register("my-llada", (folder, config, options) =>
        {
            calls++;
            return DiffusionSteering.Diffusion.Models.Architectures.Llada.LladaModel.FromCheckpoint(folder, config, options);
        });
        using var model = loader.Load(checkpoint.Folder);
        Assert.Equal(1, calls);
        Assert.Throws<CheckpointException>(() => DenoiserLoader.CreateDefault().Load(checkpoint.Folder));
    }
}
