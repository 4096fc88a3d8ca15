using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Training;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Tests.Training;

/// <summary>Trainer tests churn many tensors: run them alone, so that tests counting live tensors are not disturbed.</summary>
[CollectionDefinition(nameof(DlmTrainerTests), DisableParallelization = true)]
public sealed class DlmTrainerCollection;

[Collection(nameof(DlmTrainerTests))]
public sealed class DlmTrainerTests : IDisposable
{
    private const int Vocab = 40;
    private const int Eos = 0;
    private const int Mask = 1;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "dlm-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static LladaConfig TinyConfig => new()
    {
        DModel = 32, NLayers = 2, NHeads = 2, NKvHeads = 2, MlpHiddenSize = 64, EmbeddingSize = Vocab,
        MaskTokenId = Mask, MaxSequenceLength = 32, EosTokenId = Eos, PadTokenId = Eos,
    };

    private static LladaModel TinyModel(ulong seed)
    {
        manual_seed(seed);
        return new LladaModel(TinyConfig);
    }

    /// <summary>Documents that count upwards by a per-document stride: every token follows from its neighbours.</summary>
    private static PackedTokenDataset Synthetic(int documents, int seed)
    {
        var random = new Random(seed);
        var docs = new List<IReadOnlyList<int>>();
        for (var d = 0; d < documents; d++)
        {
            var start = random.Next(Vocab - 2);
            var stride = 1 + random.Next(3);
            var length = 8 + random.Next(16);
            docs.Add(Enumerable.Range(0, length).Select(i => 2 + (start + stride * i) % (Vocab - 2)).ToArray());
        }
        return PackedTokenDataset.FromDocuments(docs, Eos);
    }

    private static DlmTrainerOptions Small => new()
    {
        SequenceLength = 16, BatchSize = 8, MaxSteps = 40, LearningRate = 3e-3, WarmupSteps = 5, CurriculumSteps = 20,
        EvalInterval = 20, EvalWindows = 32, LogInterval = 10, Seed = 7,
    };

    [Fact]
    public void LossDecreasesFarBelowTheUnigramBaselineOnASyntheticCorpus()
    {
        using var scope = NewDisposeScope();
        var train = Synthetic(600, 1);
        var valid = Synthetic(60, 2);
        using var model = TinyModel(1);
        using var trainer = new DlmTrainer(model, Small with { MaxSteps = 250, EvalInterval = 125 });
        var before = trainer.Evaluate(valid);
        var progress = new List<DlmTrainingProgress>();
        var result = trainer.Train(train, valid, new SyncProgress(progress.Add));
        var unigram = PackedTokenDataset.UnigramCrossEntropy(train, valid, Vocab);
        Assert.Equal(250, result.Steps);
        Assert.True(result.Completed);
        Assert.Equal(250, progress.Count);
        Assert.Equal(250L * 8 * 16, result.TokensSeen);
        Assert.Equal([125L, 250L], result.ValidationHistory.Select(p => p.Step));
        var after = result.FinalValidationLoss!.Value;
        Assert.True(after < before - 0.7, $"held-out ELBO went from {before:F3} to {after:F3} (unigram {unigram:F3})");
        Assert.True(after < unigram - 0.5, $"held-out ELBO {after:F3} is not far below the unigram baseline {unigram:F3}");
        Assert.Equal(0.3, progress[0].MaxMaskRate, 10);
        Assert.Equal(1.0, progress[^1].MaxMaskRate);
        Assert.False(model.training);
    }

    [Fact]
    public void TrainingUnderNoGradRecordsItsOwnGradients()
    {
        using var scope = NewDisposeScope();
        var train = Synthetic(100, 6);
        var valid = Synthetic(20, 7);
        using var plainModel = TinyModel(5);
        using var insideModel = TinyModel(5);
        using (var trainer = new DlmTrainer(plainModel, Small with { MaxSteps = 5 })) trainer.Train(train, valid);
        using (no_grad())
        using (var trainer = new DlmTrainer(insideModel, Small with { MaxSteps = 5 }))
        {
            trainer.Train(train, valid);
            Assert.False(is_grad_enabled());   // the caller's mode is restored
        }
        foreach (var ((name, a), (_, b)) in plainModel.named_parameters().Zip(insideModel.named_parameters()))
            Assert.True(a.equal(b), $"{name} differs after training under no_grad");
    }

    [Fact]
    public void TheMaskedPositionsHeadGivesTheSameLossAsTheFullForwardPass()
    {
        using var scope = NewDisposeScope();
        var valid = Synthetic(60, 2);
        using var model = TinyModel(3);
        using var fast = new DlmTrainer(model, Small with { MaskedPositionsHead = true });
        using var full = new DlmTrainer(model, Small with { MaskedPositionsHead = false });
        var a = fast.Evaluate(valid);
        var b = full.Evaluate(valid);
        Assert.InRange(Math.Abs(a - b), 0, 1e-5 * Math.Abs(b));
        Assert.Equal(a, fast.Evaluate(valid));   // same windows and masks every time
    }

    [Fact]
    public void ResumingAfterAnInterruptionGivesBitIdenticalWeights()
    {
        using var scope = NewDisposeScope();
        var train = Synthetic(200, 4);
        var valid = Synthetic(30, 5);
        var options = Small with { MaxSteps = 37, CheckpointInterval = 10, KeepCheckpoints = 2, Bf16Autocast = true };

        using var reference = TinyModel(11);
        using (var trainer = new DlmTrainer(reference, options with { CheckpointDirectory = Path.Combine(_folder, "a") }))
            trainer.Train(train, valid);

        var dir = Path.Combine(_folder, "b");
        using var cts = new CancellationTokenSource();
        using (var interrupted = TinyModel(11))
        using (var trainer = new DlmTrainer(interrupted, options with { CheckpointDirectory = dir }))
        {
            Assert.Throws<OperationCanceledException>(() =>
                trainer.Train(train, valid, new SyncProgress(p => { if (p.Step == 23) cts.Cancel(); }), cts.Token));
        }
        Assert.Equal(23, DlmCheckpoint.ReadState(DlmCheckpoint.FindLatest(dir)!).Step);
        Assert.Equal(2, Directory.GetDirectories(dir, "step-*").Length);

        using var resumed = TinyModel(99);   // a different initialisation: everything must come from the checkpoint
        DlmTrainingResult result;
        using (var trainer = new DlmTrainer(resumed, options with { CheckpointDirectory = dir }))
            result = trainer.Train(train, valid);
        Assert.Equal(23, result.ResumedFromStep);
        Assert.Equal(37, result.Steps);
        Assert.Equal(37L * 8 * 16, result.TokensSeen);

        var want = reference.state_dict();
        var got = resumed.state_dict();
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (name, tensor) in want)
            Assert.True(tensor.equal(got[name]), $"{name} differs after resume");
        var stateA = DlmCheckpoint.ReadState(DlmCheckpoint.FindLatest(Path.Combine(_folder, "a"))!);
        var stateB = DlmCheckpoint.ReadState(DlmCheckpoint.FindLatest(dir)!);
        Assert.Equal(stateA.ValidationHistory, stateB.ValidationHistory);
        Assert.Equal(stateA.SmoothedLoss, stateB.SmoothedLoss);
    }

    [Fact]
    public void ACheckpointFolderLoadsWithTheDenoiserLoader()
    {
        using var scope = NewDisposeScope();
        var train = Synthetic(100, 6);
        var config = """
            { "model_type": "llada", "d_model": 32, "n_layers": 2, "n_heads": 2, "n_kv_heads": 2, "mlp_hidden_size": 64,
              "vocab_size": 40, "embedding_size": 40, "mask_token_id": 1, "eos_token_id": 0, "pad_token_id": 0,
              "max_sequence_length": 32, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "weight_tying": false, "torch_dtype": "float32" }
            """;
        using var model = TinyModel(8);
        using (var trainer = new DlmTrainer(model, Small with
        {
            MaxSteps = 5, CheckpointDirectory = _folder, CheckpointFiles = new Dictionary<string, string> { ["config.json"] = config },
        }))
            trainer.Train(train);
        using var loaded = DenoiserLoader.CreateDefault().Load(DlmCheckpoint.FindLatest(_folder)!);
        var ids = tensor(new long[] { 3, 4, 1, 6, 1, 8 }, [1, 6]);
        using (no_grad())
            Assert.True(loaded.Forward(new(ids)).allclose(model.Forward(new(ids)), 1e-5, 1e-6));
    }

    [Fact]
    public void ATimeLimitStopsWithACheckpointAndALaterRunContinues()
    {
        using var scope = NewDisposeScope();
        var train = Synthetic(100, 6);
        using var model = TinyModel(8);
        var options = Small with { MaxSteps = 30, CheckpointDirectory = _folder, MaxDuration = TimeSpan.FromTicks(1) };
        DlmTrainingResult first;
        using (var trainer = new DlmTrainer(model, options)) first = trainer.Train(train);
        Assert.False(first.Completed);
        Assert.Equal(1, first.Steps);
        DlmTrainingResult second;
        using (var trainer = new DlmTrainer(model, options with { MaxDuration = null })) second = trainer.Train(train);
        Assert.True(second.Completed);
        Assert.Equal(30, second.Steps);
    }

    [Fact]
    public void BadOptionsAndMismatchedResumesThrow()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel(1);
        void Bad(DlmTrainerOptions o) => Assert.ThrowsAny<ArgumentException>(() => new DlmTrainer(model, o).Dispose());
        Bad(Small with { BatchSize = 0 });
        Bad(Small with { SequenceLength = 1 });
        Bad(Small with { SequenceLength = 64 });               // longer than the model's 32
        Bad(Small with { MaxSteps = 0 });
        Bad(Small with { LearningRate = -1 });
        Bad(Small with { LearningRate = double.NaN });
        Bad(Small with { WarmupSteps = 100 });                 // more than MaxSteps
        Bad(Small with { MinMaskRate = 0 });
        Bad(Small with { InitialMaxMaskRate = 0 });
        Bad(Small with { InitialMaxMaskRate = 1.5 });
        Bad(Small with { Beta2 = 1 });
        Bad(Small with { GradientClipNorm = -1 });
        Bad(Small with { EvalWindows = 0 });
        Bad(Small with { KeepCheckpoints = 0 });
        Bad(Small with { CheckpointEvery = TimeSpan.Zero });
        Bad(Small with { CheckpointFiles = new Dictionary<string, string> { ["../config.json"] = "{}" } });
        Bad(Small with { CheckpointFiles = new Dictionary<string, string> { ["model.safetensors"] = "" } });

        using var trainer = new DlmTrainer(model, Small with { MaxSteps = 3, WarmupSteps = 1, CheckpointDirectory = _folder });
        Assert.Throws<ArgumentException>(() => trainer.Train(new PackedTokenDataset([2, 3, 4])));               // shorter than a window
        Assert.Throws<ArgumentException>(() => trainer.Train(new PackedTokenDataset(Enumerable.Repeat(Vocab, 64).ToArray())));  // outside the vocabulary
        trainer.Train(Synthetic(50, 1));
        using var other = new DlmTrainer(model, Small with { MaxSteps = 6, WarmupSteps = 1, CheckpointDirectory = _folder });
        Assert.Throws<InvalidOperationException>(() => other.Train(Synthetic(50, 2)));                        // other data
        Assert.Throws<InvalidOperationException>(() => other.Train(Synthetic(50, 1)));                        // other MaxSteps
    }

    [Fact]
    public void PackingAppendsEosAndTheStreamRoundTrips()
    {
        var data = PackedTokenDataset.FromDocuments([[5, 6, 7], [], [8]], Eos);
        Assert.Equal([5, 6, 7, 0, 0, 8, 0], data.Tokens.ToArray());
        var path = Path.Combine(_folder, "tokens.bin");
        Directory.CreateDirectory(_folder);
        data.Save(path);
        var loaded = PackedTokenDataset.Load(path);
        Assert.Equal(data.Tokens.ToArray(), loaded.Tokens.ToArray());
        Assert.Equal(data.Fingerprint, loaded.Fingerprint);
        Assert.Equal(3, data.WindowCount(2));
        Assert.Equal(2, data.WindowCount(2, offset: 2));
        // held-out tokens 5 and 8 under add-one counts over 10 ids: (1+1)/(7+10) each
        var unigram = PackedTokenDataset.UnigramCrossEntropy(data, new PackedTokenDataset([5, 8]), 10);
        Assert.Equal(-Math.Log(2.0 / 17), unigram, 12);
    }

    private sealed class SyncProgress(Action<DlmTrainingProgress> report) : IProgress<DlmTrainingProgress>
    {
        public void Report(DlmTrainingProgress value) => report(value);
    }
}
