using System.Diagnostics;
using DiffusionSteering.Sae.Core.Training;
using DiffusionSteering.Torch;
using Xunit.Abstractions;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Training;

/// <summary>A TopK SAE trained by this library recovers a planted dictionary (fixed seeds).</summary>
public class PlantedDictionaryTests(ITestOutputHelper output)
{
    private (double recovered, double meanMaxCos) Train(int atoms, int width, int active, int dSae, int k, int steps, int batch, double lr, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var planted = new PlantedDictionary(atoms, width, active, noise: 0.01, seed: seed);
        var options = new SaeTrainingOptions
        {
            TotalSteps = steps, BatchSize = batch, LearningRate = lr, WarmupSteps = steps / 20, DecayStartFraction = 0.8,
            Seed = seed + 1, DeadTokenWindow = 20L * batch, EncoderChunkTokens = batch,
        };
        using var trainer = new SaeTrainer(new SaeConfig { DIn = width, DSae = dSae, K = k }, options);
        using var g = new Generator(seed + 2);
        var watch = Stopwatch.StartNew();
        SaeStepStatistics? last = null;
        for (var s = 0; s < steps; s++)
        {
            using var stepScope = NewDisposeScope();
            last = trainer.TrainStep(planted.Sample(batch, g));
        }
        var (recovered, meanMaxCos) = planted.Recovery(trainer.Sae.W_dec);
        output.WriteLine($"{atoms} atoms in {width} dims, {active} active; SAE {dSae}×k{k}, {steps} steps × {batch}: recovered {recovered:P1} at cos > 0.9, " +
            $"mean max cos {meanMaxCos:F4}, final fvu {last!.Fvu:F4}, dead {last.DeadLatents}, {watch.Elapsed.TotalSeconds:F1} s");
        return (recovered, meanMaxCos);
    }

    [Fact]
    public void SmallPlantedDictionaryIsRecovered()
    {
        var (recovered, meanMaxCos) = Train(atoms: 128, width: 48, active: 4, dSae: 256, k: 4, steps: 250, batch: 256, lr: 4e-3, seed: 11);
        Assert.True(recovered >= 0.9, $"only {recovered:P1} of the atoms recovered (mean max cos {meanMaxCos:F3})");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void PlantedDictionaryOf1024AtomsIn256DimensionsIsRecovered()
    {
        var (recovered, meanMaxCos) = Train(atoms: 1024, width: 256, active: 8, dSae: 2048, k: 8, steps: 3000, batch: 1024, lr: 2e-3, seed: 21);
        Assert.True(recovered >= 0.9, $"only {recovered:P1} of the atoms recovered (mean max cos {meanMaxCos:F3})");
    }
}
