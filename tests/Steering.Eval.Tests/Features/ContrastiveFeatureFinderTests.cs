using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Sae.Core;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Steering.Eval.Features;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Tests.Features;

public class ContrastiveFeatureFinderTests
{
    private static List<long[]> Texts(int count, int lo, int hi, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 12).Select(_ => (long)random.Next(lo, hi)).ToArray()).ToList();
    }

    [Fact]
    public void FindsSignificantFeaturesThatSeparateTheClasses()
    {
        using var scope = NewDisposeScope();
        using var model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));
        using var g = new Generator(11);
        using var sae = new SparseAutoencoder(new SaeConfig { DIn = model.Spec.HiddenSize, DSae = 128, K = 8 }, generator: g);
        var a = Texts(24, 0, 100, 1);
        var b = Texts(24, 300, 400, 2);
        var options = new FeatureFinderOptions { Selection = new ContrastiveSelectionOptions { CandidateCount = 40, KeepPerDirection = 10, SteerPerDirection = 5 } };
        var result = ContrastiveFeatureFinder.Find(model, sae, 1, a, b, options);
        Assert.NotEmpty(result.SteeringPositive);
        Assert.NotEmpty(result.SteeringNegative);
        Assert.All(result.SteeringPositive, f => { Assert.True(f.CohensD > 0); Assert.True(f.AdjustedPValue < options.Selection.Alpha); });
        Assert.All(result.SteeringNegative, f => Assert.True(f.CohensD < 0));
        Assert.True(result.SteeringPositive.Count <= 5 && result.Tested.Count <= 40);

        // Independently: on fresh, un-noised texts the top positive feature is more active for class A.
        var top = result.SteeringPositive[0].Feature;
        double Mean(List<long[]> texts)
        {
            double total = 0;
            foreach (var ids in texts)
            {
                using var s = NewDisposeScope();
                Tensor? h = null;
                using (model.Hooks.Add(1, HookPoint.ResidPost, (in HookContext c, Tensor r) => { h = r.clone().DetachFromDisposeScope(); return null; }))
                    model.Forward(new DenoiserInput(tensor(ids, [1, ids.Length])));
                using (h) total += sae.DenseEncode(h!).select(-1, top).mean().item<float>();
            }
            return total / texts.Count;
        }
        Assert.True(Mean(Texts(12, 0, 100, 7)) > Mean(Texts(12, 300, 400, 8)));

        var again = ContrastiveFeatureFinder.Find(model, sae, 1, a, b, options);
        Assert.Equal(result.SteeringPositive.Select(f => f.Feature), again.SteeringPositive.Select(f => f.Feature));
    }

    [Fact]
    public void BadInputIsRejected()
    {
        using var model = DenoiserLoader.CreateDefault().Load(FixturePaths.Fixture("models", "llada-tiny"));
        using var sae = new SparseAutoencoder(new SaeConfig { DIn = 32, DSae = 64, K = 4 });
        Assert.Contains("hidden size", Assert.Throws<ArgumentException>(() => ContrastiveFeatureFinder.Find(model, sae, 0, Texts(2, 0, 9, 1), Texts(2, 0, 9, 2))).Message);
        using var right = new SparseAutoencoder(new SaeConfig { DIn = model.Spec.HiddenSize, DSae = 64, K = 4 });
        Assert.Contains("at least one text", Assert.Throws<ArgumentException>(() => ContrastiveFeatureFinder.Find(model, right, 0, [], Texts(2, 0, 9, 2))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ContrastiveFeatureFinder.Find(model, right, 9, Texts(2, 0, 9, 1), Texts(2, 0, 9, 2)));
    }
}
