using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Steering.Eval.Probes;
using DiffusionSteering.Steering.Eval.Scorers;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Tests.Scorers;

/// <summary>Probes on the fixture LLaDA model (2 blocks, width 64, vocabulary 512, mask id 509), fed token ids directly.</summary>
public sealed class ActivationProbeTests : IDisposable
{
    private readonly IDenoiser _model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));

    public void Dispose() => _model.Dispose();

    /// <summary>
    /// Class "low" draws ids from [0, width), class "high" from [200, 200 + width); lengths vary in 8..12. The fixture's
    /// embeddings are random, so the two classes' mean-pooled activations differ only through which embeddings they
    /// average; narrow ranges (20 ids) make that difference large against the within-class spread (with 100-id ranges
    /// and 32 training sequences in 64 dimensions the probe reaches only ≈ 0.7–0.9).
    /// </summary>
    private static List<(IReadOnlyList<long> ids, string label)> Sequences(int perClass, ulong seed, int width = 20)
    {
        var rng = new Xoshiro256StarStar(seed);
        var data = new List<(IReadOnlyList<long>, string)>();
        for (int i = 0; i < perClass; i++)
        {
            foreach ((string label, int offset) in new[] { ("low", 0), ("high", 200) })
            {
                int length = 8 + rng.NextInt(5);
                data.Add((Enumerable.Range(0, length).Select(_ => (long)(offset + rng.NextInt(width))).ToArray(), label));
            }
        }

        return data;
    }

    [Fact]
    public void ProbeSeparatesDisjointTokenRangesWithHighCrossValidatedAccuracy()
    {
        List<(IReadOnlyList<long> ids, string label)> train = Sequences(20, 1);
        ProbeTrainingResult result = ActivationProbeTrainer.Train(_model, train);
        Assert.Equal(["high", "low"], result.Classes);
        Assert.Equal(40, result.ExampleCount);
        Assert.Equal([0, 1], result.Layers.Select(l => l.Layer));
        foreach (LayerProbeResult layer in result.Layers)
        {
            Assert.Equal(5, layer.CrossValidation.FoldAccuracies.Count);
            Assert.True(layer.CrossValidation.MeanAccuracy >= 0.95, $"layer {layer.Layer}: {layer.CrossValidation}");
            Assert.True(layer.CrossValidation.StandardDeviation >= 0);
            Assert.Equal(HookPoint.ResidPost, layer.Probe.Point);
            Assert.Equal(64, layer.Probe.HiddenSize);
            Assert.Equal("llada", layer.Probe.ModelType);
            Assert.Equal(layer.CrossValidation.MeanAccuracy, layer.AccuracyByMaskRatio[0.0], 12);
        }

        ActivationProbeScorer scorer = result.ToScorer(_model);
        ScorerEvaluation heldOut = scorer.EvaluateIds(Sequences(10, 2));
        Assert.True(heldOut.Accuracy >= 0.95, heldOut.ToString());
        Assert.Equal(20, heldOut.Count);
        double[] p = scorer.PredictIds([205L, 206, 207, 208, 209, 201, 202, 203]);
        Assert.Equal(1.0, p.Sum(), 12);
        Assert.True(p[scorer.IndexOf("high")] > 0.5);
    }

    [Fact]
    public void NoisedCopiesStayWithTheirExampleAndAreReportedPerMaskRatio()
    {
        var options = new ProbeTrainingOptions { Layers = [1], MaskRatios = [0.3, 0.5], Folds = 4, Seed = 3 };
        ProbeTrainingResult result = ActivationProbeTrainer.Train(_model, Sequences(16, 4, width: 10), options);
        LayerProbeResult layer = Assert.Single(result.Layers);
        Assert.Equal(1, layer.Layer);
        Assert.Equal([0.0, 0.3, 0.5], layer.AccuracyByMaskRatio.Keys.Order());
        Assert.Equal(4, layer.CrossValidation.FoldAccuracies.Count);
        Assert.True(layer.CrossValidation.MeanAccuracy >= 0.85, layer.CrossValidation.ToString());
        // Equal numbers of each variant per fold, so the overall accuracy is the mean of the per-variant accuracies.
        Assert.Equal(layer.AccuracyByMaskRatio.Values.Average(), layer.CrossValidation.MeanAccuracy, 12);

        var noisyOnly = options with { IncludeClean = false, MaskRatios = [0.5] };
        LayerProbeResult noisy = Assert.Single(ActivationProbeTrainer.Train(_model, Sequences(16, 4, width: 10), noisyOnly).Layers);
        Assert.Equal([0.5], noisy.AccuracyByMaskRatio.Keys);
    }

    [Fact]
    public void MeanPooledActivationsEqualTheHookedResidualAveragedOverPositions()
    {
        long[] ids = [3, 14, 15, 92, 65, 35];
        double[] expected;
        using (NewDisposeScope())
        using (no_grad())
        {
            Tensor? captured = null;
            using (_model.Hooks.Add(0, HookPoint.ResidPost, (in HookContext _, Tensor r) =>
            {
                captured = r.clone().DetachFromDisposeScope();
                return null;
            }))
            {
                _model.Forward(new DenoiserInput(tensor(ids, [1, ids.Length])));
            }

            expected = captured!.to(ScalarType.Float64).mean([1L]).data<double>();
            captured.Dispose();
        }

        double[] single = MeanPooledActivations.Compute(_model, [ids], 0)[0];
        Assert.Equal(64, single.Length);
        for (int j = 0; j < 64; j++)
        {
            Assert.Equal(expected[j], single[j], 6);
        }

        // Batching sequences of several lengths gives the same rows as one at a time.
        IReadOnlyList<long>[] many = [ids, [1, 2, 3], [7, 8, 9, 10, 11, 12], ids];
        double[][][] batched = MeanPooledActivations.Compute(_model, many, [0, 1], HookPoint.ResidPost, batchSize: 8);
        for (int i = 0; i < many.Length; i++)
        {
            double[] alone = MeanPooledActivations.Compute(_model, [many[i]], 1, batchSize: 1)[0];
            for (int j = 0; j < 64; j++)
            {
                Assert.True(Math.Abs(alone[j] - batched[1][i][j]) < 1e-5, $"sequence {i}, dimension {j}: {alone[j]} vs {batched[1][i][j]}");
            }
        }

        Assert.False(_model.Hooks.Any); // hooks are removed afterwards
    }

    [Fact]
    public void ProbeRoundTripsThroughItsFile()
    {
        ProbeTrainingResult result = ActivationProbeTrainer.Train(_model, Sequences(10, 5), new ProbeTrainingOptions { Layers = [0] });
        ActivationProbe probe = result.Best.Probe;
        string path = Path.Combine(Path.GetTempPath(), $"probe-{Guid.NewGuid():N}.json");
        try
        {
            probe.Save(path);
            ActivationProbe loaded = ActivationProbe.Load(path);
            Assert.Equal(probe.Layer, loaded.Layer);
            Assert.Equal(probe.Point, loaded.Point);
            Assert.Equal(probe.Classes, loaded.Classes);
            Assert.Equal(probe.ModelType, loaded.ModelType);
            Assert.Equal(probe.ToJson(), loaded.ToJson());
            var a = new ActivationProbeScorer(_model, probe);
            var b = new ActivationProbeScorer(_model, loaded);
            foreach ((IReadOnlyList<long> ids, _) in Sequences(3, 6))
            {
                Assert.Equal(a.PredictIds(ids), b.PredictIds(ids));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TextIsScoredThroughAnEncoder()
    {
        // A character-level "tokenizer": each character's code is its id. Letters (97–122) versus digits (48–57).
        static IReadOnlyList<long> Encode(string s) => s.Select(c => (long)c).ToArray();
        var rng = new Xoshiro256StarStar(9);
        string Word(string alphabet) => new(Enumerable.Range(0, 6 + rng.NextInt(4)).Select(_ => alphabet[rng.NextInt(alphabet.Length)]).ToArray());
        var data = new List<(string text, string label)>();
        for (int i = 0; i < 12; i++)
        {
            data.Add((Word("abcdefghijklmnopqrstuvwxyz"), "letters"));
            data.Add((Word("0123456789"), "digits"));
        }

        ProbeTrainingResult result = ActivationProbeTrainer.Train(_model, Encode, data, new ProbeTrainingOptions { Folds = 3 });
        ActivationProbeScorer scorer = result.ToScorer(_model, Encode);
        Assert.True(scorer.CanEncodeText);
        Assert.Equal("letters", scorer.Classes[scorer.Classify("helloworld")]);
        Assert.Equal("digits", scorer.Classes[scorer.Classify("31415926")]);
        Assert.True(scorer.Evaluate([("abcdefg", "letters"), ("7654321", "digits")]).Accuracy == 1.0);
        Assert.Equal(scorer.Predict("helloworld"), scorer.Predict(["helloworld"])[0]);

        var withoutEncoder = new ActivationProbeScorer(_model, result.Best.Probe);
        InvalidOperationException noText = Assert.Throws<InvalidOperationException>(() => withoutEncoder.Predict("hello"));
        Assert.Contains("PredictIds", noText.Message);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        ProbeTrainingResult result = ActivationProbeTrainer.Train(_model, Sequences(5, 7), new ProbeTrainingOptions { Layers = [0] });
        ActivationProbeScorer scorer = result.ToScorer(_model);
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => scorer.EvaluateIds([([1L, 2, 3], "medium")]));
        Assert.Contains("'medium'", unknown.Message);
        Assert.Throws<ArgumentException>(() => scorer.IndexOf("medium"));
        ArgumentException outside = Assert.Throws<ArgumentException>(() => scorer.PredictIds([1L, 2, 600]));
        Assert.Contains("600", outside.Message);
        Assert.Throws<ArgumentException>(() => scorer.PredictIds(Array.Empty<long>()));
        Assert.Throws<ArgumentException>(() => scorer.PredictIds(Enumerable.Repeat(1L, 300).ToArray())); // longer than 256
        Assert.Throws<ArgumentException>(() => scorer.EvaluateIds([]));
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Sequences(5, 7), new ProbeTrainingOptions { Layers = [2] }));
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Sequences(5, 7), new ProbeTrainingOptions { Layers = [0, 0] }));
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Sequences(5, 7), new ProbeTrainingOptions { MaskRatios = [1.5] }));
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Sequences(5, 7), new ProbeTrainingOptions { IncludeClean = false }));
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Sequences(2, 7))); // 2 per class < 5 folds
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Sequences(5, 7).Where(d => d.label == "low")));
        Assert.Throws<ArgumentException>(() => ActivationProbeTrainer.Train(_model, Array.Empty<(IReadOnlyList<long>, string)>()));

        LogisticRegressionModel narrow = LogisticRegression.Fit([[0.0, 1.0], [1.0, 0.0]], [0, 1]);
        var wrongWidth = new ActivationProbe(0, HookPoint.ResidPost, ["a", "b"], narrow);
        ArgumentException width = Assert.Throws<ArgumentException>(() => new ActivationProbeScorer(_model, wrongWidth));
        Assert.Contains("64", width.Message);
        Assert.Throws<ArgumentException>(() => new ActivationProbe(0, HookPoint.ResidPost, ["a", "b", "c"], narrow));
        Assert.Throws<FormatException>(() => ActivationProbe.FromJson(wrongWidth.ToJson().Replace("\"hiddenSize\":2", "\"hiddenSize\":3")));
        Assert.Throws<FormatException>(() => ActivationProbe.FromJson(wrongWidth.ToJson().Replace("ResidPost", "Nowhere")));
    }
}
