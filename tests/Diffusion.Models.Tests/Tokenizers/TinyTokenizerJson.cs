using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

/// <summary>A small trained byte-level tokenizer.json as an editable JSON tree, for configuration tests.</summary>
internal static class TinyTokenizerJson
{
    private static readonly Lazy<string> Json = new(() =>
        new BpeTrainer(400, ["<|endoftext|>"]).Train(TestCorpus.Documents(TestCorpus.English(20_000, seed: 5))).ToTokenizerJson());

    /// <summary>A fresh, mutable copy of the tree.</summary>
    /// <returns>The root object.</returns>
    public static JsonObject Create() => JsonNode.Parse(Json.Value)!.AsObject();

    /// <summary>Loads a (possibly edited) tree.</summary>
    /// <param name="root">The tree.</param>
    /// <returns>The tokenizer.</returns>
    public static Tokenizer Load(JsonObject root) => Tokenizer.FromJson(root.ToJsonString());
}
