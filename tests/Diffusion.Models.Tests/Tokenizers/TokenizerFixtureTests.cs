using System.Text;
using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Tests;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

/// <summary>Every case of fixtures/tokenizers/cases.json, for every tokenizer listed there.</summary>
public sealed class TokenizerFixtureTests
{
    private static readonly Lazy<JsonDocument> Cases = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(FixturePaths.Fixture("tokenizers", "cases.json"))));

    public static TheoryData<string> TokenizerNames()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Cases.Value.RootElement.GetProperty("tokenizers").EnumerateObject()) data.Add(entry.Name);
        return data;
    }

    private static (Tokenizer Tokenizer, JsonElement Spec) Load(string name)
    {
        var spec = Cases.Value.RootElement.GetProperty("tokenizers").GetProperty(name);
        string relative = spec.GetProperty("file").GetString()!;
        var path = FixturePaths.Fixture(["tokenizers", .. relative.Split('/')]);
        return (Tokenizer.FromFile(path), spec);
    }

    [Theory]
    [MemberData(nameof(TokenizerNames))]
    public void VocabSizeMatches(string name)
    {
        var (tokenizer, spec) = Load(name);
        Assert.Equal(spec.GetProperty("vocab_size_with_added").GetInt32(), tokenizer.VocabSize);
    }

    [Theory]
    [MemberData(nameof(TokenizerNames))]
    public void IdsAndTokensMatchReference(string name)
    {
        var (tokenizer, spec) = Load(name);
        var failures = new StringBuilder();
        int count = 0;
        foreach (var c in spec.GetProperty("cases").EnumerateArray())
        {
            count++;
            string text = c.GetProperty("text").GetString()!;
            int[] expectedIds = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            string[] expectedTokens = c.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray();

            int[] ids = tokenizer.Encode(text);
            if (!ids.SequenceEqual(expectedIds))
                failures.AppendLine($"ids  {Show(text)}: expected [{string.Join(",", expectedIds)}] got [{string.Join(",", ids)}]");
            var tokens = tokenizer.EncodeToTokens(text);
            if (!tokens.SequenceEqual(expectedTokens))
                failures.AppendLine($"toks {Show(text)}: expected [{string.Join("|", expectedTokens)}] got [{string.Join("|", tokens)}]");
            if (c.TryGetProperty("ids_no_special_equal", out var same) && same.GetBoolean())
            {
                int[] plain = tokenizer.Encode(text, addSpecialTokens: false);
                if (!plain.SequenceEqual(expectedIds))
                    failures.AppendLine($"ids(addSpecialTokens=false) {Show(text)}: got [{string.Join(",", plain)}]");
            }
        }
        Assert.True(count > 0, "no cases");
        Assert.True(failures.Length == 0, failures.ToString());
    }

    [Theory]
    [MemberData(nameof(TokenizerNames))]
    public void DecodeMatchesReference(string name)
    {
        var (tokenizer, spec) = Load(name);
        var failures = new StringBuilder();
        foreach (var c in spec.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            int[] ids = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            string expected = c.GetProperty("decoded").GetString()!;
            string expectedSkip = c.GetProperty("decoded_skip_special").GetString()!;
            string decoded = tokenizer.Decode(ids);
            string decodedSkip = tokenizer.Decode(ids, skipSpecialTokens: true);
            if (decoded != expected) failures.AppendLine($"decode {Show(text)}: expected {Show(expected)} got {Show(decoded)}");
            if (decodedSkip != expectedSkip) failures.AppendLine($"decode skip {Show(text)}: expected {Show(expectedSkip)} got {Show(decodedSkip)}");
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static string Show(string s) => JsonSerializer.Serialize(s);
}
