using System.Text.Json.Nodes;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>SAE folders that do not match their config, or the model they are meant for, fail with a clear SaeFormatException.</summary>
public sealed class MalformedSaeFileTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sae-bad-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    /// <summary>A copy of a fixture folder to damage.</summary>
    private string Copy(params string[] fixture)
    {
        var source = FixturePaths.Fixture(["sae", .. fixture]);
        var target = Path.Combine(_root, string.Join("_", fixture) + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    /// <summary>Rewrites a safetensors file through <paramref name="edit"/>.</summary>
    private static void EditTensors(string path, Action<Dictionary<string, Tensor>> edit)
    {
        using var scope = NewDisposeScope();
        var tensors = SafetensorsTorch.Load(path);
        edit(tensors);
        SafetensorsTorch.Save(path, tensors);
    }

    private static void EditJson(string path, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    private static string Fails(string folder, int? expectedDIn = null) =>
        Assert.Throws<SaeFormatException>(() => SaeLoader.Load(folder, expectedDIn)).Message;

    [Fact]
    public void SaeLensWeightsOfAnotherShapeThanTheConfig()
    {
        var folder = Copy("saelens_topk");
        EditJson(Path.Combine(folder, "cfg.json"), cfg => cfg["d_sae"] = 128);
        var message = Fails(folder);
        Assert.Contains("'W_enc' has shape [64, 256] but the config implies [64, 128]", message);
        Assert.Contains("'W_dec'", message);
        Assert.Contains(folder, message);
    }

    [Fact]
    public void SaeLensTransposedDecoder()
    {
        var folder = Copy("saelens_topk");
        EditTensors(Path.Combine(folder, "sae_weights.safetensors"), t => t["W_dec"] = t["W_dec"].t().contiguous());
        Assert.Contains("'W_dec' has shape [64, 256] but the config implies [256, 64]", Fails(folder));
    }

    [Fact]
    public void SaeLensMissingAndUnexpectedTensors()
    {
        var folder = Copy("saelens_topk");
        EditTensors(Path.Combine(folder, "sae_weights.safetensors"), t => t.Remove("b_dec"));
        Assert.Contains("missing tensor 'b_dec'", Fails(folder));

        var other = Copy("saelens_topk");
        EditTensors(Path.Combine(other, "sae_weights.safetensors"), t => t["W_skip"] = zeros(64, 64));
        Assert.Contains("unexpected tensor(s) W_skip", Fails(other));
    }

    [Fact]
    public void JumpReluWithoutThresholds()
    {
        var folder = Copy("saelens_jumprelu");
        EditTensors(Path.Combine(folder, "sae_weights.safetensors"), t => t.Remove("threshold"));
        Assert.Contains("missing tensor 'threshold'", Fails(folder));
    }

    [Fact]
    public void ConfigWithoutRequiredFieldsOrUnreadable()
    {
        var folder = Copy("saelens_topk");
        EditJson(Path.Combine(folder, "cfg.json"), cfg => cfg.Remove("k"));
        Assert.Contains("needs 'k'", Fails(folder));

        var noDIn = Copy("saelens_topk");
        EditJson(Path.Combine(noDIn, "cfg.json"), cfg => cfg.Remove("d_in"));
        Assert.Contains("d_in", Fails(noDIn));

        var broken = Copy("saelens_topk");
        File.WriteAllText(Path.Combine(broken, "cfg.json"), "{\"d_in\": 64,");
        Assert.Contains("cfg.json", Fails(broken));

        var badK = Copy("saelens_topk");
        EditJson(Path.Combine(badK, "cfg.json"), cfg => cfg["k"] = 1000);
        Assert.Contains("k must be in [1, d_sae = 256]", Fails(badK));
    }

    [Fact]
    public void CorruptWeightFilesAndEmptyFolders()
    {
        var folder = Copy("saelens_topk");
        var weights = Path.Combine(folder, "sae_weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        Assert.Contains("cannot read the weights", Fails(folder));

        var empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        Assert.Contains("no sae_weights.safetensors (SAELens), sae.safetensors (sparsify) or ae.pt", Fails(empty));
        Assert.Contains("not found", Fails(Path.Combine(_root, "missing")));
    }

    [Fact]
    public void AnSaeForAnotherModelWidthIsRejected()
    {
        foreach (var fixture in new[] { new[] { "saelens_topk" }, ["sparsify", "layers.1"], ["dictionary_learning", "resid_post_layer_1", "trainer_0"] })
        {
            var message = Fails(FixturePaths.Fixture(["sae", .. fixture]), expectedDIn: 96);
            Assert.Contains("the SAE reads d_in = 64 but the model's hidden size is 96", message);
        }
        using var fine = SaeLoader.Load(FixturePaths.Fixture("sae", "saelens_topk"), expectedDIn: 64);
        Assert.Equal(64, fine.DIn);
    }

    [Fact]
    public void SparsifyMissingOrMisshapenTensors()
    {
        var folder = Copy("sparsify", "layers.1");
        EditTensors(Path.Combine(folder, "sae.safetensors"), t => t.Remove("encoder.bias"));
        Assert.Contains("missing tensor 'encoder.bias'", Fails(folder));

        var wide = Copy("sparsify", "layers.1");
        EditJson(Path.Combine(wide, "cfg.json"), cfg => cfg["num_latents"] = 512);
        Assert.Contains("the config implies [64, 512]", Fails(wide));
    }

    [Fact]
    public void DictionaryLearningConfigThatDisagreesWithTheStateDict()
    {
        var folder = Copy("dictionary_learning", "resid_post_layer_1", "trainer_0");
        EditJson(Path.Combine(folder, "config.json"), cfg => cfg["trainer"]!["dict_size"] = 300);
        Assert.Contains("trainer.dict_size 300 contradicts the weights (d_sae 256)", Fails(folder));

        var narrow = Copy("dictionary_learning", "resid_post_layer_1", "trainer_0");
        EditJson(Path.Combine(narrow, "config.json"), cfg => cfg["trainer"]!["activation_dim"] = 32);
        Assert.Contains("trainer.activation_dim 32 contradicts the weights (d_in 64)", Fails(narrow));
    }
}
