using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Tests.Tokenizers;

public sealed class ThreadSafetyTests
{
    [Fact]
    public void ConcurrentEncodingGivesTheSameIdsAsSequential()
    {
        var documents = TestCorpus.Documents(TestCorpus.English(300_000, seed: 21));
        var sequential = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        var expected = documents.Select(d => sequential.Encode(d)).ToArray();

        var shared = TinyTokenizerJson.Load(TinyTokenizerJson.Create());
        var actual = new int[documents.Length][];
        Parallel.For(0, documents.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = shared.Encode(documents[i]));

        for (int i = 0; i < documents.Length; i++) Assert.Equal(expected[i], actual[i]);
    }
}
