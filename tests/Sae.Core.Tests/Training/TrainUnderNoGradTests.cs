using DiffusionSteering.Sae.Core.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Training;

/// <summary>Training steps record their own gradients: callers often hold a no_grad scope for the model's forwards.</summary>
public class TrainUnderNoGradTests
{
    private static SaeStepStatistics[] Train(bool underNoGrad)
    {
        using var scope = NewDisposeScope();
        using var planted = new PlantedDictionary(atoms: 64, width: 16, activePerSample: 3, noise: 0.01, seed: 2);
        using var g = new Generator(3);
        var options = new SaeTrainingOptions { TotalSteps = 20, BatchSize = 64, WarmupSteps = 2, Seed = 4 };
        using var trainer = new SaeTrainer(new SaeConfig { DIn = 16, DSae = 64, K = 4 }, options);
        var batches = Enumerable.Range(0, 20).Select(_ => planted.Sample(64, g)).ToList();
        using var noGrad = underNoGrad ? no_grad() : null;
        var stats = batches.Select(trainer.TrainStep).ToArray();
        Assert.Equal(!underNoGrad, is_grad_enabled());   // the caller's grad mode is restored
        return stats;
    }

    [Fact]
    public void StepsUnderNoGradEqualStepsWithGradients()
    {
        var plain = Train(underNoGrad: false);
        var inside = Train(underNoGrad: true);
        Assert.Equal(plain.Select(s => s.Loss), inside.Select(s => s.Loss));
        Assert.True(inside[^1].Loss < inside[0].Loss);
    }
}
