using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

public sealed class AddedTokenTests
{
    private static JsonObject Added(int id, string content, bool special = false, bool normalized = false,
        bool lstrip = false, bool rstrip = false, bool singleWord = false) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = singleWord,
        ["lstrip"] = lstrip,
        ["rstrip"] = rstrip,
        ["normalized"] = normalized,
        ["special"] = special,
    };

    private static Tokenizer WithAdded(params JsonObject[] tokens)
    {
        var root = TinyTokenizerJson.Create();
        foreach (var token in tokens) root["added_tokens"]!.AsArray().Add(token);
        return TinyTokenizerJson.Load(root);
    }

    private static int[] Concat(params IEnumerable<int>[] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void LStripAbsorbsWhitespaceOnTheLeftOnly()
    {
        var plain = WithAdded(Added(400, "<mask>", special: true));
        var stripping = WithAdded(Added(400, "<mask>", special: true, lstrip: true));
        Assert.Equal(Concat(plain.Encode("a "), [400], plain.Encode(" b")), plain.Encode("a <mask> b"));
        Assert.Equal(Concat(plain.Encode("a"), [400], plain.Encode(" b")), stripping.Encode("a  \t<mask> b"));
    }

    [Fact]
    public void RStripAbsorbsWhitespaceOnTheRightOnly()
    {
        var tokenizer = WithAdded(Added(400, "<mask>", special: true, rstrip: true));
        Assert.Equal(Concat(tokenizer.Encode("a "), [400], tokenizer.Encode("b")), tokenizer.Encode("a <mask>  \nb"));
        Assert.Equal("a <mask>b", tokenizer.Decode(tokenizer.Encode("a <mask>  \nb")));
    }

    [Fact]
    public void SingleWordOnlyMatchesAWholeWord()
    {
        var tokenizer = WithAdded(Added(400, "cat", singleWord: true));
        Assert.Equal(Concat(tokenizer.Encode("a "), [400], tokenizer.Encode(" here")), tokenizer.Encode("a cat here"));
        Assert.DoesNotContain(400, tokenizer.Encode("concat"));
        Assert.DoesNotContain(400, tokenizer.Encode("cat_x"));
        Assert.DoesNotContain(400, tokenizer.Encode("cats"));
        Assert.Equal(Concat([400], tokenizer.Encode("!")), tokenizer.Encode("cat!"));
    }

    [Fact]
    public void LongestTokenWinsAtTheLeftmostPosition()
    {
        var tokenizer = WithAdded(Added(400, "<a>", special: true), Added(401, "<a><b>", special: true), Added(402, "a><b", special: true));
        Assert.Equal([400, 401], tokenizer.Encode("<a><a><b>"));
        Assert.Equal(403, tokenizer.VocabSize);
    }

    [Fact]
    public void NormalizedTokensMatchAfterNormalization()
    {
        var root = TinyTokenizerJson.Create();
        root["normalizer"] = new JsonObject { ["type"] = "NFC" };
        root["added_tokens"]!.AsArray().Add(Added(400, "e\u0301x", normalized: true));
        root["added_tokens"]!.AsArray().Add(Added(401, "e\u0301y", normalized: false));
        var tokenizer = TinyTokenizerJson.Load(root);

        Assert.Equal([400], tokenizer.Encode("e\u0301x"));
        Assert.Equal([400], tokenizer.Encode("\u00E9x"));
        Assert.Equal([401], tokenizer.Encode("e\u0301y"));
        Assert.DoesNotContain(401, tokenizer.Encode("\u00E9y"));
    }

    [Fact]
    public void NonSpecialAddedTokensSurviveSkipSpecialTokens()
    {
        var tokenizer = WithAdded(Added(400, "<tool>", special: false), Added(401, "<pad>", special: true));
        int[] ids = tokenizer.Encode("<pad>x<tool>");
        Assert.Equal(Concat([401], tokenizer.Encode("x"), [400]), ids);
        Assert.Equal("x<tool>", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<pad>x<tool>", tokenizer.Decode(ids));
        Assert.Contains(tokenizer.SpecialTokens, t => t.Content == "<pad>");
        Assert.DoesNotContain(tokenizer.SpecialTokens, t => t.Content == "<tool>");
        Assert.Equal(2, tokenizer.AddedTokens.Count(t => t.Id >= 400));
        Assert.Equal("<tool>", tokenizer.IdToToken(400));
        Assert.Equal(401, tokenizer.TokenToId("<pad>"));
    }

    [Fact]
    public void TemplatePostProcessorAddsBosOnlyWithSpecialTokens()
    {
        var root = TinyTokenizerJson.Create();
        root["post_processor"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
                new JsonObject
                {
                    ["type"] = "TemplateProcessing",
                    ["single"] = new JsonArray(
                        new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|endoftext|>", ["type_id"] = 0 } },
                        new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                    ["pair"] = new JsonArray(
                        new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                        new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                    ["special_tokens"] = new JsonObject
                    {
                        ["<|endoftext|>"] = new JsonObject
                        {
                            ["id"] = "<|endoftext|>",
                            ["ids"] = new JsonArray(0),
                            ["tokens"] = new JsonArray("<|endoftext|>"),
                        },
                    },
                }),
        };
        var tokenizer = TinyTokenizerJson.Load(root);
        int[] plain = tokenizer.Encode("hello there", addSpecialTokens: false);
        Assert.Equal(Concat([0], plain), tokenizer.Encode("hello there"));
        Assert.Equal("<|endoftext|>", tokenizer.EncodeToTokens("hi")[0]);
        Assert.Equal("hello there", tokenizer.Decode(tokenizer.Encode("hello there"), skipSpecialTokens: true));
    }

    [Fact]
    public void DecodeRejectsUnknownIds()
    {
        var tokenizer = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        Assert.Throws<ArgumentException>(() => tokenizer.Decode([5, 999_999]));
        Assert.Throws<ArgumentException>(() => tokenizer.Decode([-1]));
        Assert.Null(tokenizer.IdToToken(999_999));
        Assert.Null(tokenizer.TokenToId("definitely not a token"));
    }

    [Fact]
    public void PartialUtf8DecodesToReplacementCharacter()
    {
        var tokenizer = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        var tokens = tokenizer.EncodeToTokens("é");
        Assert.Equal(["Ã", "©"], tokens);
        int first = tokenizer.TokenToId("Ã")!.Value;
        Assert.Equal("\uFFFD", tokenizer.Decode([first]));
    }

    [Fact]
    public void LoneSurrogatesAreEncodedAsReplacementCharacter()
    {
        var tokenizer = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        Assert.Equal(tokenizer.Encode("a\uFFFDb"), tokenizer.Encode("a\uD800b"));
        Assert.Equal(tokenizer.Encode("a\uFFFD"), tokenizer.Encode("a\uDC00"));
    }

    [Fact]
    public void WithoutDecoderTokensAreJoinedWithSpaces()
    {
        var root = TinyTokenizerJson.Create();
        root["decoder"] = null;
        var tokenizer = TinyTokenizerJson.Load(root);
        int[] ids = tokenizer.Encode("a b");
        Assert.Equal(string.Join(' ', tokenizer.EncodeToTokens("a b")), tokenizer.Decode(ids));
    }
}
