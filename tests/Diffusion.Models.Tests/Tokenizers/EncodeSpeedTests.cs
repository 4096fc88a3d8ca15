using System.Diagnostics;
using System.Text;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Tests;
using Xunit.Abstractions;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

/// <summary>Runs alone (not in parallel with other test classes) so that the timing means something.</summary>
[CollectionDefinition(nameof(EncodeSpeedTests), DisableParallelization = true)]
public sealed class EncodeSpeedCollection;

[Collection(nameof(EncodeSpeedTests))]
public sealed class EncodeSpeedTests(ITestOutputHelper output)
{
    [Fact]
    public void EncodesAtLeastOneMegabytePerSecond()
    {
        var tokenizer = Tokenizer.FromFile(FixturePaths.Fixture("tokenizers", "gpt2", "tokenizer.json"));
        // JIT warm-up (tiered compilation needs a few hundred ms of work); another seed keeps the word cache cold
        // for the random words of the measured text.
        foreach (var document in TestCorpus.Documents(TestCorpus.English(1_000_000, seed: 11))) tokenizer.Encode(document);
        var documents = TestCorpus.Documents(TestCorpus.English(3_000_000, seed: 12));
        long bytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));

        var watch = Stopwatch.StartNew();
        long tokens = 0;
        foreach (var document in documents) tokens += tokenizer.Encode(document).Length;
        double seconds = watch.Elapsed.TotalSeconds;

        double megabytesPerSecond = bytes / 1e6 / seconds;
        output.WriteLine($"{bytes / 1e6:F2} MB, {tokens} tokens in {seconds:F2} s: {megabytesPerSecond:F1} MB/s");
        Assert.True(megabytesPerSecond >= 1.0, $"encoding ran at {megabytesPerSecond:F2} MB/s");
    }
}
