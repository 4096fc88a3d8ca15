using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

public sealed class BpeTrainerTests
{
    private static readonly string[] Specials = ["<|endoftext|>", "<|mask|>"];

    private static readonly string[] RoundTripSamples =
    [
        "",
        "Hello world",
        "The quick brown fox jumps over the lazy dog.",
        "  leading and trailing spaces  ",
        "tabs\tand\nnewlines\r\n",
        "Numbers 1234567890 and 3.14159",
        "unseen wörds: naïve café, Straße, Ærøskøbing",
        "你好，世界！ 日本語 한국어 Привет",
        "emoji 😀👍🏽 👨‍👩‍👧‍👦 🇺🇸 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "special <|endoftext|> inline<|mask|><|mask|> end",
        "<|endoftext|",
    ];

    private static string[] TrainingTexts() => TestCorpus.Documents(TestCorpus.English(60_000));

    [Fact]
    public void TrainedTokenizerRoundTripsThroughFile()
    {
        var result = new BpeTrainer(vocabSize: 600, Specials).Train(TrainingTexts());
        Assert.Equal(600, result.Vocabulary.Count);
        Assert.Equal(600 - Specials.Length - 256, result.Merges.Count);

        string dir = Path.Combine(Path.GetTempPath(), "tok-trainer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            result.Save(path);
            var tokenizer = Tokenizer.FromFile(path);

            Assert.Equal(600, tokenizer.VocabSize);
            Assert.Equal(0, tokenizer.TokenToId("<|endoftext|>"));
            Assert.Equal(1, tokenizer.TokenToId("<|mask|>"));
            Assert.True(tokenizer.IsSpecialToken(1));
            Assert.Equal(result.Merges.Count, tokenizer.MergeCount);

            foreach (var sample in RoundTripSamples)
                Assert.Equal(sample, tokenizer.Decode(tokenizer.Encode(sample)));

            int[] ids = tokenizer.Encode("a<|mask|>b");
            Assert.Contains(1, ids);
            Assert.Equal("ab", tokenizer.Decode(ids, skipSpecialTokens: true));

            // Merges actually compress the training distribution.
            string sampleText = TestCorpus.English(5_000, seed: 99);
            Assert.True(tokenizer.Encode(sampleText).Length < Encoding.UTF8.GetByteCount(sampleText) / 2);

            // Same tokenizer whether built in memory or read from the file.
            var inMemory = result.ToTokenizer();
            Assert.Equal(tokenizer.Encode(sampleText), inMemory.Encode(sampleText));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WritesCurrentHuggingFaceFormat()
    {
        var result = new BpeTrainer(vocabSize: 300, Specials).Train(TrainingTexts());
        using var document = JsonDocument.Parse(result.ToTokenizerJson());
        var root = document.RootElement;
        Assert.Equal("1.0", root.GetProperty("version").GetString());
        var model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Array, model.GetProperty("merges")[0].ValueKind);
        Assert.Equal(2, model.GetProperty("merges")[0].GetArrayLength());
        Assert.Equal(300, model.GetProperty("vocab").EnumerateObject().Count());
        Assert.Equal("ByteLevel", root.GetProperty("pre_tokenizer").GetProperty("type").GetString());
        Assert.True(root.GetProperty("pre_tokenizer").GetProperty("use_regex").GetBoolean());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());
        var added = root.GetProperty("added_tokens");
        Assert.Equal(2, added.GetArrayLength());
        Assert.Equal("<|mask|>", added[1].GetProperty("content").GetString());
        Assert.Equal(1, added[1].GetProperty("id").GetInt32());
        Assert.True(added[1].GetProperty("special").GetBoolean());
    }

    [Fact]
    public void TrainingIsDeterministicAndIndependentOfTextOrder()
    {
        var texts = TrainingTexts();
        string first = new BpeTrainer(500, Specials).Train(texts).ToTokenizerJson();
        string again = new BpeTrainer(500, Specials).Train(texts).ToTokenizerJson();
        string reversed = new BpeTrainer(500, Specials).Train(texts.Reverse()).ToTokenizerJson();
        Assert.Equal(first, again);
        Assert.Equal(first, reversed);
    }

    [Fact]
    public void IncrementalCountsGiveTheSameMergesAsNaiveRecounting()
    {
        var texts = TestCorpus.Documents(TestCorpus.English(8_000, seed: 7)).Append("aaaaaaa abababab aaaa").ToArray();
        var result = new BpeTrainer(vocabSize: 420, Specials, minFrequency: 2).Train(texts);
        var expected = NaiveMerges(texts, 420, minFrequency: 2);
        Assert.Equal(expected, result.Merges);
    }

    [Fact]
    public void StopsWhenNoPairIsFrequentEnough()
    {
        var result = new BpeTrainer(vocabSize: 10_000, minFrequency: 2).Train(["abc abc"]);
        // Words "abc" and "Ġabc": (a, b) and (b, c) occur twice; the tie goes to the smaller pair (a, b).
        // Then (ab, c) occurs twice; (Ġ, abc) only once, so training stops.
        Assert.Equal([("a", "b"), ("ab", "c")], result.Merges);
        Assert.Equal(258, result.Vocabulary.Count);
    }

    [Fact]
    public void RejectsInconsistentSettings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpeTrainer(100));
        Assert.Throws<ArgumentException>(() => new BpeTrainer(300, ["<a>", "<a>"]));
        Assert.Throws<ArgumentException>(() => new BpeTrainer(300, ["a"]));
    }

    /// <summary>Textbook BPE training: recount every pair after every merge (slow, obviously correct).</summary>
    private static List<(string, string)> NaiveMerges(IEnumerable<string> texts, int vocabSize, int minFrequency)
    {
        var byteToChar = GptByteToChar();
        var tokens = new List<string>(Specials);
        tokens.AddRange(byteToChar.Values.Order().Select(c => c.ToString()));
        var ids = new Dictionary<string, int>();
        for (int i = 0; i < tokens.Count; i++) ids[tokens[i]] = i;

        var counts = new Dictionary<string, int>();
        var regex = new Regex(TokenizerPatterns.Gpt2);
        foreach (var text in texts)
        {
            foreach (Match m in regex.Matches(text))
            {
                string word = string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(b => byteToChar[b]));
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }
        var words = counts.Select(kv => (Symbols: kv.Key.Select(c => ids[c.ToString()]).ToList(), Count: kv.Value)).ToList();

        var merges = new List<(string, string)>();
        while (tokens.Count < vocabSize)
        {
            var pairCounts = new Dictionary<(int, int), int>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    pairCounts[(symbols[i], symbols[i + 1])] = pairCounts.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairCounts.Count == 0) break;
            var best = pairCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            if (best.Value < minFrequency) break;
            var (a, b) = best.Key;
            string merged = tokens[a] + tokens[b];
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = tokens.Count;
                tokens.Add(merged);
                ids[merged] = newId;
            }
            merges.Add((tokens[a], tokens[b]));
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == a && symbols[i + 1] == b)
                    {
                        symbols[i] = newId;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    private static Dictionary<byte, char> GptByteToChar()
    {
        var map = new Dictionary<byte, char>();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[(byte)b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }
}
