using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;
using static DiffusionSteering.Diffusion.Models.Tests.Models.ModelFixtures;

namespace DiffusionSteering.Diffusion.Models.Tests.Sampling;

/// <summary>Determinism, observers, interventions and option validation of the samplers.</summary>
public class SamplerBehaviourTests
{
    private static Tensor Prompt(int rows, int length, int vocab, int seed)
    {
        var random = new Random(seed);
        return tensor(Enumerable.Range(0, rows * length).Select(_ => (long)random.Next(0, vocab - 10)).ToArray(), [rows, length]);
    }

    [Fact]
    public void TemperatureSamplingIsReproducibleAndIndependentOfBatchComposition()
    {
        using var scope = NewDisposeScope();
        using var model = Load("llada-tiny");
        using var noGrad = no_grad();
        var sampler = new LladaSampler(new LladaSamplerOptions { Steps = 8, GenLength = 16, BlockLength = 8, Temperature = 0.9, Remasking = LladaRemasking.Random });
        var prompts = Prompt(3, 6, model.Spec.VocabSize, 1);
        using var first = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = [11UL, 22UL, 33UL] });
        using var again = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = [11UL, 22UL, 33UL] });
        Assert.True(first.Sequences.equal(again.Sequences), "same seeds gave different outputs");
        // Row 1 alone with its own seed gives the same tokens as inside the batch.
        using var alone = sampler.Sample(model, new SamplingRequest { PromptIds = prompts.narrow(0, 1, 1), Seeds = [22UL] });
        Assert.True(alone.Sequences[0].equal(first.Sequences[1]), "a row's output depends on the other rows of its batch");
        using var different = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = [12UL, 22UL, 33UL] });
        Assert.False(different.Sequences[0].equal(first.Sequences[0]), "a different seed gave the same row");
    }

    [Fact]
    public void DreamTemperatureSamplingIsReproducibleAndIndependentOfBatchComposition()
    {
        using var scope = NewDisposeScope();
        using var model = Load("dream-tiny");
        using var noGrad = no_grad();
        var sampler = new DreamSampler(new DreamSamplerOptions { Steps = 8, MaxNewTokens = 8, Temperature = 0.8, Algorithm = DreamAlgorithm.Origin, TopK = null });
        var prompts = Prompt(2, 6, model.Spec.VocabSize, 2);
        using var both = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = [5UL, 6UL] });
        using var again = sampler.Sample(model, new SamplingRequest { PromptIds = prompts, Seeds = [5UL, 6UL] });
        Assert.True(both.Sequences.equal(again.Sequences));
        using var alone = sampler.Sample(model, new SamplingRequest { PromptIds = prompts.narrow(0, 1, 1), Seeds = [6UL] });
        Assert.True(alone.Sequences[0].equal(both.Sequences[1]));
    }

    private sealed class ZeroIntervention(ResidualSite site, Tensor zero) : IResidualIntervention
    {
        public int Calls;
        public IReadOnlyCollection<ResidualSite> Sites => [site];
        public Tensor? Apply(StepContext step, ResidualSite s, Tensor residual)
        {
            Calls++;
            return residual + zero;
        }
    }

    private sealed class CountingObserver : ISamplerObserver
    {
        public readonly List<int> Steps = new();
        public readonly List<long[]> HiddenShapes = new();
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [new ResidualSite(1, HookPoint.ResidPost)];
        public void OnStep(SamplerStep step)
        {
            Steps.Add(step.StepIndex);
            HiddenShapes.Add(step.HiddenStates[new ResidualSite(1, HookPoint.ResidPost)].shape);
        }
    }

    [Fact]
    public void ZeroInterventionLeavesOutputsIdenticalAndObserverSeesEveryStep()
    {
        using var scope = NewDisposeScope();
        using var model = Load("llada-tiny");
        using var noGrad = no_grad();
        var options = new LladaSamplerOptions { Steps = 8, GenLength = 16, BlockLength = 8 };
        var prompts = Prompt(2, 5, model.Spec.VocabSize, 3);
        using var plain = new LladaSampler(options).Sample(model, new SamplingRequest { PromptIds = prompts });
        var zero = new ZeroIntervention(new ResidualSite(0, HookPoint.ResidPost), zeros(model.Spec.HiddenSize));
        var observer = new CountingObserver();
        using var steered = new LladaSampler(options).Sample(model, new SamplingRequest { PromptIds = prompts, Interventions = [zero], Observers = [observer] });
        Assert.True(plain.Sequences.equal(steered.Sequences));
        Assert.Equal(Enumerable.Range(0, 8), observer.Steps);
        Assert.Equal(8, zero.Calls);
        Assert.All(observer.HiddenShapes, s => Assert.Equal(new long[] { 2, 21, model.Spec.HiddenSize }, s));
    }

    [Fact]
    public void BadOptionsAreRejectedClearly()
    {
        Assert.Contains("divisible by the number of blocks", Assert.Throws<ArgumentException>(() => new LladaSampler(new LladaSamplerOptions { Steps = 7, GenLength = 16, BlockLength = 8 })).Message);
        Assert.Contains("multiple of block_length", Assert.Throws<ArgumentException>(() => new LladaSampler(new LladaSamplerOptions { Steps = 8, GenLength = 20, BlockLength = 8 })).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new LladaSampler(new LladaSamplerOptions { Temperature = -1 })).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new DreamSampler(new DreamSamplerOptions { Temperature = -0.5 })).Message);
        Assert.Contains("unknown algorithm", Assert.Throws<ArgumentOutOfRangeException>(() => new DreamSampler(new DreamSamplerOptions { Algorithm = (DreamAlgorithm)42 })).Message);
        Assert.Contains("unknown remasking", Assert.Throws<ArgumentOutOfRangeException>(() => new LladaSampler(new LladaSamplerOptions { Remasking = (LladaRemasking)7 })).Message);
        using var model = Load("llada-tiny");
        using var prompt = zeros([1, model.Spec.MaxSequenceLength], ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() => new LladaSampler(new LladaSamplerOptions { Steps = 8, GenLength = 8, BlockLength = 8 }).Sample(model, new SamplingRequest { PromptIds = prompt }));
        Assert.Contains("exceeds the model's maximum length", e.Message);
        using var p2 = zeros([2, 4], ScalarType.Int64);
        Assert.Contains("2 rows", Assert.Throws<ArgumentException>(() => new LladaSampler(new LladaSamplerOptions { Steps = 8, GenLength = 8, BlockLength = 8 }).Sample(model, new SamplingRequest { PromptIds = p2, Seeds = [1UL] })).Message);
    }

    [Fact]
    public void TrajectoryRecorderMatchesTheRecordedTrajectory()
    {
        using var scope = NewDisposeScope();
        using var model = Load("llada-tiny");
        using var noGrad = no_grad();
        var recorder = new TrajectoryRecorder();
        using var result = new LladaSampler(new LladaSamplerOptions { Steps = 8, GenLength = 16, BlockLength = 8 })
            .Sample(model, new SamplingRequest { PromptIds = Prompt(2, 4, model.Spec.VocabSize, 5), Observers = [recorder], RecordTrajectory = true });
        Assert.Equal(8, recorder.StepsObserved);
        var mask = model.Spec.MaskTokenId;
        var rows = result.Trajectory!.Select(t => t.data<long>()).ToList();
        var length = (int)result.Sequences.size(1);
        for (var r = 0; r < 2; r++)
            for (var p = 0; p < length; p++)
            {
                // τ = first step after which the position holds a token, from the raw trajectory.
                var expected = -1L;
                for (var s = 1; s < rows.Count; s++)
                    if (rows[s - 1][r * length + p] == mask && rows[s][r * length + p] != mask) { expected = s - 1; break; }
                Assert.Equal(expected, recorder.DecodeStep[r, p]);
                Assert.Equal(0, recorder.Revisions[r, p]);
            }
    }
}

/// <summary>Tests that count live native tensors: they run alone, since the count is process-wide.</summary>
[CollectionDefinition(nameof(NativeMemoryCollection), DisableParallelization = true)]
public sealed class NativeMemoryCollection;

[Collection(nameof(NativeMemoryCollection))]
public class SamplerCancellationTests
{
    private static Tensor Prompt(int rows, int length, int vocab, int seed)
    {
        var random = new Random(seed);
        return tensor(Enumerable.Range(0, rows * length).Select(_ => (long)random.Next(0, vocab - 10)).ToArray(), [rows, length]);
    }

    private sealed class StepCounter(Action<SamplerStep> onEach) : ISamplerObserver
    {
        public readonly List<int> Steps = new();
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests => [new ResidualSite(1, HookPoint.ResidPost)];
        public void OnStep(SamplerStep step)
        {
            Steps.Add(step.StepIndex);
            onEach(step);
        }
    }

    [Fact]
    public void CancellationStopsWithinOneStepAndLeavesNoNativeMemory()
    {
        using var model = Load("llada-tiny");
        using var noGrad = no_grad();
        using var prompts = Prompt(1, 5, model.Spec.VocabSize, 4);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = LiveTensorCount;
        using var cancellation = new CancellationTokenSource();
        var observer = new StepCounter(step => { if (step.StepIndex == 2) cancellation.Cancel(); });
        Assert.Throws<OperationCanceledException>(() =>
            new LladaSampler(new LladaSamplerOptions { Steps = 16, GenLength = 16, BlockLength = 16 })
                .Sample(model, new SamplingRequest { PromptIds = prompts, Observers = [observer], RecordTrajectory = true }, cancellation.Token));
        Assert.Equal(new[] { 0, 1, 2 }, observer.Steps);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(before, LiveTensorCount);
    }

}
