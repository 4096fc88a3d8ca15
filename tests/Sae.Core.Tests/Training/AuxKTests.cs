using System.Diagnostics;
using DiffusionSteering.Sae.Core.Training;
using DiffusionSteering.Torch;
using Xunit.Abstractions;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Training;

/// <summary>AuxK revives latents on a run built to kill them.</summary>
public class AuxKTests(ITestOutputHelper output)
{
    /// <summary>
    /// Planted-dictionary activations (512 atoms, more than the 256 latents) shifted by a large shared offset, with
    /// b_dec initialised at 0 and no normalisation: at first the latents aligned with the offset win the top-k on every
    /// token, so most latents stop firing and are declared dead after a short window. Returns the dead count at the end.
    /// </summary>
    private long DeadAfterTraining(double auxCoefficient, AuxKInput input)
    {
        using var scope = NewDisposeScope();
        const int width = 32, batch = 128, steps = 200;
        using var planted = new PlantedDictionary(atoms: 512, width: width, activePerSample: 6, noise: 0.01, seed: 5);
        using var g = new Generator(6);
        var offset = randn([width], ScalarType.Float32, null, g);
        offset = offset / offset.norm() * 8;
        var options = new SaeTrainingOptions
        {
            TotalSteps = steps, BatchSize = batch, LearningRate = 2e-3, WarmupSteps = 10, DecayStartFraction = null,
            AuxKCoefficient = auxCoefficient, AuxKInput = input, DeadTokenWindow = 5 * batch,
            DecoderBiasInit = DecoderBiasInit.Zero, NormalizeActivations = false, Seed = 7,
        };
        using var trainer = new SaeTrainer(new SaeConfig { DIn = width, DSae = 256, K = 8 }, options);
        long maxDead = 0;
        SaeStepStatistics? last = null;
        var watch = Stopwatch.StartNew();
        for (var s = 0; s < steps; s++)
        {
            using var stepScope = NewDisposeScope();
            last = trainer.TrainStep(planted.Sample(batch, g) + offset);
            maxDead = Math.Max(maxDead, last.DeadLatents);
        }
        output.WriteLine($"AuxK α = {auxCoefficient:G3} ({input}): at most {maxDead} dead during the run, {last!.DeadLatents} dead at the end, " +
            $"final fvu {last.Fvu:F4}, aux loss {last.AuxLoss:F4}, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(maxDead > 128, $"the run was meant to produce dead latents but at most {maxDead} were dead");
        return last.DeadLatents;
    }

    [Fact]
    public void AuxKReducesDeadLatents()
    {
        var without = DeadAfterTraining(0, AuxKInput.PostRelu);
        var postRelu = DeadAfterTraining(1.0 / 32, AuxKInput.PostRelu);
        var preActivation = DeadAfterTraining(1.0 / 32, AuxKInput.PreActivation);
        // The dictionary_learning form can only revive latents with some positive pre-activation; SAELens' form reaches all.
        Assert.True(postRelu < 0.9 * without, $"post-ReLU AuxK left {postRelu} dead latents, without AuxK {without}");
        Assert.True(preActivation < 0.25 * without, $"pre-activation AuxK left {preActivation} dead latents, without AuxK {without}");
    }
}
