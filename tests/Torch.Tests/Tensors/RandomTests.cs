using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

/// <summary>The default generator is process-wide: these tests run alone.</summary>
[Collection(SerialCollection.Name)]
public class RandomTests
{
    [Fact]
    public void ManualSeedReproducesTheDefaultStream()
    {
        using var scope = NewDisposeScope();
        manual_seed(1234);
        var a = rand(100).data<float>();
        var b = randn(50).data<float>();
        var c = randint(0, 1000, [20]).data<long>();
        var d = rand([10]).multinomial(3).data<long>();
        manual_seed(1234);
        Assert.Equal(a, rand(100).data<float>());
        Assert.Equal(b, randn(50).data<float>());
        Assert.Equal(c, randint(0, 1000, [20]).data<long>());
        Assert.Equal(d, rand([10]).multinomial(3).data<long>());
        manual_seed(1235);
        Assert.NotEqual(a, rand(100).data<float>());
    }

    [Fact]
    public void GeneratorsWithTheSameSeedGiveTheSameStream()
    {
        using var scope = NewDisposeScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);
        Assert.Equal(42UL, g1.initial_seed());
        var a = rand([64], generator: g1).data<float>();
        manual_seed(7);                                  // the default generator does not disturb explicit ones
        _ = rand(1000);
        Assert.Equal(a, rand([64], generator: g2).data<float>());
        Assert.NotEqual(a, rand([64], generator: g3).data<float>());
        // Streams advance: a second draw differs from the first.
        Assert.NotEqual(a, rand([64], generator: g1).data<float>());
        // Re-seeding restarts the stream.
        g1.manual_seed(42);
        Assert.Equal(a, rand([64], generator: g1).data<float>());
        // Same for every generator-taking op.
        g1.manual_seed(5); g2.manual_seed(5);
        Assert.Equal(randn([8], generator: g1).data<float>(), randn([8], generator: g2).data<float>());
        Assert.Equal(randint(0, 100, [8], generator: g1).data<long>(), randint(0, 100, [8], generator: g2).data<long>());
        var probs = tensor(new[] { 0.1f, 0.2f, 0.3f, 0.4f });
        Assert.Equal(probs.multinomial(50, true, g1).data<long>(), probs.multinomial(50, true, g2).data<long>());
        Assert.Equal(empty([8]).uniform_(-2, 2, g1).data<float>(), empty([8]).uniform_(-2, 2, g2).data<float>());
        Assert.Equal(empty([8]).normal_(1, 3, g1).data<float>(), empty([8]).normal_(1, 3, g2).data<float>());
        Assert.Equal(empty([8]).exponential_(2, g1).data<float>(), empty([8]).exponential_(2, g2).data<float>());
        Assert.Equal(zeros(8).bernoulli(0.5, g1).data<float>(), zeros(8).bernoulli(0.5, g2).data<float>());
    }

    [Fact]
    public void GetStateSetStateResumesExactly()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(99);
        _ = rand([17], generator: g);                    // advance to somewhere in the middle
        _ = randn([3], generator: g);                    // randn caches a second normal value in the state
        var state = g.get_state();
        Assert.Equal(uint8, state.dtype);
        var saved = state.clone();
        var first = rand([33], generator: g).data<float>();
        var firstN = randn([5], generator: g).data<float>();
        g.set_state(saved);
        Assert.Equal(first, rand([33], generator: g).data<float>());
        Assert.Equal(firstN, randn([5], generator: g).data<float>());
        // A state moves to another generator.
        using var other = new Generator(1);
        other.set_state(saved);
        Assert.Equal(first, rand([33], generator: other).data<float>());
        // The default generator through a Generator is not exposed; manual_seed is the way to reset it.
    }

    [Fact]
    public void MultinomialMatchesItsProbabilities()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2024);
        var weights = new[] { 1.0, 2, 3, 4, 0 };                 // unnormalised, one impossible category
        const int n = 40000;
        var draws = tensor(weights).multinomial(n, replacement: true, generator: g).data<long>();
        Assert.Equal(n, draws.Length);
        for (var k = 0; k < weights.Length; k++)
        {
            var p = weights[k] / 10;
            var freq = draws.Count(d => d == k) / (double)n;
            var sigma = Math.Sqrt(p * (1 - p) / n);
            Assert.True(Math.Abs(freq - p) <= 5 * sigma + 1e-12, $"category {k}: frequency {freq}, probability {p}");
        }
        // Without replacement: distinct categories, never the zero-weight one, first draw follows p.
        var rows = tensor(weights).unsqueeze(0).expand(4000, 5).contiguous();
        var picks = rows.multinomial(3, replacement: false, generator: g).data<long>();
        for (var r = 0; r < 4000; r++)
        {
            var row = picks[(r * 3)..(r * 3 + 3)];
            Assert.Equal(3, row.Distinct().Count());
            Assert.DoesNotContain(4L, row);
        }
        var firstFreq = Enumerable.Range(0, 4000).Count(r => picks[r * 3] == 3) / 4000.0;
        Assert.InRange(firstFreq, 0.4 - 5 * Math.Sqrt(0.24 / 4000), 0.4 + 5 * Math.Sqrt(0.24 / 4000));
    }

    [Fact]
    public void RandomOpsAreIndependentPerGeneratorAcrossBatchComposition()
    {
        using var scope = NewDisposeScope();
        // Two samples drawn one by one from their own generators equal the same draws interleaved differently.
        using var ga = new Generator(1);
        using var gb = new Generator(2);
        var a1 = randn([4], generator: ga).data<float>();
        var b1 = randn([4], generator: gb).data<float>();
        ga.manual_seed(1); gb.manual_seed(2);
        var b2 = randn([4], generator: gb).data<float>();
        var a2 = randn([4], generator: ga).data<float>();
        Assert.Equal(a1, a2);
        Assert.Equal(b1, b2);
    }

    [Fact]
    public void NumThreads()
    {
        var before = get_num_threads();
        Assert.True(before >= 1);
        try
        {
            set_num_threads(1);
            Assert.Equal(1, get_num_threads());
            using (var scope = NewDisposeScope())
            {
                var a = randn(64, 64);
                var single = a.matmul(a).data<float>();
                set_num_threads(2);
                Assert.Equal(2, get_num_threads());
                TensorAssert.Close(Naive.ToDouble(single), a.matmul(a).data<float>(), 1e-4, 1e-4);
            }
            var ex = Assert.Throws<TorchException>(() => set_num_threads(0));
            Assert.Contains("at least 1", ex.Message);
        }
        finally
        {
            set_num_threads(before);
        }
        Assert.Equal(before, get_num_threads());
    }
}
