using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

/// <summary>BPE model options on tiny hand-written (non byte-level) models.</summary>
public sealed class BpeModelOptionsTests
{
    private static Tokenizer Model(string vocab, string merges, string options) => Tokenizer.FromJson($$"""
        {
          "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
          "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
          "model": { "type": "BPE", "dropout": null, {{options}}, "vocab": {{vocab}}, "merges": {{merges}} }
        }
        """);

    private const string Vocab = """{"<unk>": 0, "a": 1, "b": 2, "<0xC3>": 3, "<0xA9>": 4, "ab": 5}""";
    private const string Merges = """[["a", "b"]]""";

    [Fact]
    public void ByteFallbackEncodesUnknownCharactersAsBytes()
    {
        var tokenizer = Model(Vocab, Merges, "\"unk_token\": \"<unk>\", \"byte_fallback\": true");
        Assert.Equal([5, 3, 4], tokenizer.Encode("abé"));
        // A character whose bytes are not all in the vocabulary falls back to the unknown token.
        Assert.Equal([5, 0], tokenizer.Encode("abü"));
    }

    [Fact]
    public void UnknownTokenWithAndWithoutFusing()
    {
        Assert.Equal([1, 0, 2], Model(Vocab, Merges, "\"unk_token\": \"<unk>\", \"fuse_unk\": true").Encode("aéé b"));
        Assert.Equal([1, 0, 0, 0, 2], Model(Vocab, Merges, "\"unk_token\": \"<unk>\", \"fuse_unk\": false").Encode("aéé b"));
    }

    [Fact]
    public void WithoutUnknownTokenUnknownCharactersAreDroppedLikeHuggingFace()
    {
        // The dropped characters leave 'a' and 'b' adjacent, so they merge.
        Assert.Equal([5], Model(Vocab, Merges, "\"unk_token\": null").Encode("aéé b"));
    }

    [Fact]
    public void IgnoreMergesTakesWholeWordsFromTheVocabulary()
    {
        const string vocab = """{"a": 0, "b": 1, "c": 2, "abc": 3, "ab": 4}""";
        Assert.Equal([3], Model(vocab, Merges, "\"ignore_merges\": true").Encode("abc"));
        Assert.Equal([4, 2], Model(vocab, Merges, "\"ignore_merges\": false").Encode("abc"));
    }

    [Fact]
    public void UnknownTokenMissingFromVocabularyThrows()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Model(Vocab, Merges, "\"unk_token\": \"[UNK]\""));
        Assert.Contains("[UNK]", e.Message);
    }

    [Fact]
    public void MergePriorityFollowsRankNotPosition()
    {
        const string vocab = """{"a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5}""";
        // (b, c) has the better rank, so "abc" becomes a + bc, and (a, bc) is not a merge.
        Assert.Equal([0, 4], Model(vocab, """[["b", "c"], ["a", "b"], ["ab", "c"]]""", "\"fuse_unk\": false").Encode("abc"));
        // With (a, b) first: ab + c, then (ab, c).
        Assert.Equal([5], Model(vocab, """[["a", "b"], ["b", "c"], ["ab", "c"]]""", "\"fuse_unk\": false").Encode("abc"));
    }
}
