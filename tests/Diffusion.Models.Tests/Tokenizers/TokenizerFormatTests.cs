using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

public sealed class TokenizerFormatTests
{
    private static TokenizerFormatException LoadFails(Action<JsonObject> edit)
    {
        var root = TinyTokenizerJson.Create();
        edit(root);
        return Assert.Throws<TokenizerFormatException>(() => TinyTokenizerJson.Load(root));
    }

    [Fact]
    public void UneditedTreeLoads()
    {
        var tokenizer = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        Assert.Equal(400, tokenizer.VocabSize);
    }

    [Theory]
    [InlineData("{ \"model\": ")]
    [InlineData("not json at all")]
    [InlineData("")]
    public void MalformedJsonThrows(string json)
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(json));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void NonObjectRootThrows()
    {
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("[1, 2]"));
    }

    [Fact]
    public void UnknownPreTokenizerTypeThrowsNamingIt()
    {
        var e = LoadFails(root => root["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" });
        Assert.Contains("pre_tokenizer", e.Message);
        Assert.Contains("Whitespace", e.Message);
    }

    [Fact]
    public void UnknownComponentInsideSequenceThrows()
    {
        var e = LoadFails(root => root["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false },
                new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }),
        });
        Assert.Contains("Digits", e.Message);
        Assert.Contains("pretokenizers[1]", e.Message);
    }

    [Fact]
    public void UnknownKeyThrowsNamingIt()
    {
        var e = LoadFails(root => root["pre_tokenizer"]!["prepend_scheme"] = "first");
        Assert.Contains("prepend_scheme", e.Message);
        Assert.Contains("ByteLevel", e.Message);

        e = LoadFails(root => root["model"]!["max_token_length"] = 16);
        Assert.Contains("max_token_length", e.Message);

        e = LoadFails(root => root["something_new"] = 1);
        Assert.Contains("something_new", e.Message);
    }

    [Theory]
    [InlineData("normalizer", "Lowercase")]
    [InlineData("decoder", "Metaspace")]
    [InlineData("post_processor", "RobertaProcessing")]
    public void UnknownComponentTypesThrow(string section, string type)
    {
        var e = LoadFails(root => root[section] = new JsonObject { ["type"] = type });
        Assert.Contains(type, e.Message);
        Assert.Contains(section, e.Message);
    }

    [Fact]
    public void UnsupportedModelThrows()
    {
        var e = LoadFails(root => root["model"]!["type"] = "WordPiece");
        Assert.Contains("WordPiece", e.Message);
        e = LoadFails(root => root["model"]!["dropout"] = 0.1);
        Assert.Contains("dropout", e.Message);
        e = LoadFails(root => root["model"]!["continuing_subword_prefix"] = "##");
        Assert.Contains("continuing_subword_prefix", e.Message);
    }

    [Fact]
    public void TruncationAndPaddingThrow()
    {
        Assert.Contains("truncation", LoadFails(root => root["truncation"] = new JsonObject { ["max_length"] = 8 }).Message);
        Assert.Contains("padding", LoadFails(root => root["padding"] = new JsonObject { ["strategy"] = "BatchLongest" }).Message);
    }

    [Fact]
    public void MergeOfUnknownTokenThrows()
    {
        var e = LoadFails(root => root["model"]!["merges"]!.AsArray().Add(new JsonArray("zz-missing", "a")));
        Assert.Contains("zz-missing", e.Message);
    }

    [Fact]
    public void BadMergeShapesThrow()
    {
        LoadFails(root => root["model"]!["merges"]!.AsArray().Add(new JsonArray("a", "b", "c")));
        LoadFails(root => root["model"]!["merges"]!.AsArray().Add("a b c"));
        LoadFails(root => root["model"]!["merges"]!.AsArray().Add(5));
    }

    [Fact]
    public void WrongValueTypesThrow()
    {
        LoadFails(root => root["model"]!["vocab"]!["Ġzz"] = "seven");
        LoadFails(root => root["pre_tokenizer"]!["use_regex"] = "yes");
        LoadFails(root => root["added_tokens"]![0]!["id"] = -3);
    }

    [Fact]
    public void UnsupportedRegexThrowsNamingThePattern()
    {
        var e = LoadFails(root => root["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Split",
            ["pattern"] = new JsonObject { ["Regex"] = @"\p{Han}+" },
            ["behavior"] = "Isolated",
            ["invert"] = false,
        });
        Assert.Contains(@"\p{Han}+", e.Message);
    }

    [Fact]
    public void UnknownSplitBehaviorThrows()
    {
        var e = LoadFails(root => root["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Split",
            ["pattern"] = new JsonObject { ["String"] = " " },
            ["behavior"] = "Sideways",
        });
        Assert.Contains("Sideways", e.Message);
    }

    [Fact]
    public void LegacyModelWithoutTypeAndStringMergesLoads()
    {
        var root = TinyTokenizerJson.Create();
        var model = root["model"]!.AsObject();
        model.Remove("type");
        model.Remove("byte_fallback");
        model.Remove("ignore_merges");
        var merges = model["merges"]!.AsArray();
        var asStrings = new JsonArray(merges.Select(m => (JsonNode?)JsonValue.Create(m![0]!.GetValue<string>() + " " + m[1]!.GetValue<string>())).ToArray());
        model["merges"] = asStrings;
        var legacy = TinyTokenizerJson.Load(root);
        var current = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        string text = TestCorpus.English(2_000, seed: 3);
        Assert.Equal(current.Encode(text), legacy.Encode(text));
    }

    [Fact]
    public void MissingFileThrowsIoError()
    {
        Assert.ThrowsAny<IOException>(() => Tokenizer.FromFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".json")));
    }
}
