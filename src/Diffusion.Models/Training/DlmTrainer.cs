using System.Diagnostics;
using System.Globalization;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Layers;
using DiffusionSteering.Torch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>
/// Trains or fine-tunes a masked diffusion LM with the LLaDA pretraining objective (Nie et al. 2025, Eq. 3): for each
/// window x⁰ draw t ~ U(ε, t_max), mask every token independently with probability t, and minimise
/// Σ_{masked i} −log p_θ(x⁰ᵢ | xᵗ) / t divided by the number of tokens B·L (an unbiased estimate of the negative ELBO
/// per token when t_max = 1). t_max follows a curriculum from <see cref="DlmTrainerOptions.InitialMaxMaskRate"/> to 1,
/// which small models need to leave the unigram plateau. Windows come from a <see cref="PackedTokenDataset"/> in a
/// shuffled order per epoch. AdamW with linear warm-up and cosine decay, global-norm gradient clipping, optional bf16
/// autocast, a periodic held-out ELBO (t ~ U(0, 1), the same windows and masks each time), atomic checkpoints and
/// exact resume: a run that is interrupted and resumed gives bit-identical weights to one that is not.
/// </summary>
/// <remarks>
/// All randomness comes from the trainer's own <see cref="Generator"/> and the seeded window order, both checkpointed.
/// The model keeps its dtype (train float32 weights; <see cref="DlmTrainerOptions.Bf16Autocast"/> runs the matmuls in
/// bf16). Not thread-safe.
/// </remarks>
public sealed class DlmTrainer : IDisposable
{
    private const double EmaWeight = 0.02;
    private readonly DenoiserModule _model;
    private readonly DlmTrainerOptions _options;
    private readonly ILogger _logger;
    private readonly optim.AdamW _optimizer;
    private readonly optim.lr_scheduler.LambdaLR _schedule;
    private readonly Generator _generator;
    private readonly MaskedLladaHead? _fastHead;
    private bool _disposed;

    /// <summary>Creates a trainer for <paramref name="model"/> (its parameters are updated in place).</summary>
    /// <exception cref="ArgumentException">An option is out of range, or the sequence length exceeds the model's.</exception>
    public DlmTrainer(DenoiserModule model, DlmTrainerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.SequenceLength > model.Spec.MaxSequenceLength)
            throw new ArgumentOutOfRangeException(nameof(options), options.SequenceLength,
                $"SequenceLength {options.SequenceLength} exceeds the model's maximum sequence length {model.Spec.MaxSequenceLength}");
        if (options.Bf16Autocast && model.Device.type != DeviceType.CPU)
            throw new ArgumentException("Bf16Autocast is implemented for CPU models only", nameof(options));
        _model = model;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        _optimizer = new optim.AdamW(parameters, options.LearningRate, options.Beta1, options.Beta2, options.AdamEpsilon, options.WeightDecay);
        _schedule = new optim.lr_scheduler.LambdaLR(_optimizer,
            optim.lr_scheduler.WarmupCosine(options.WarmupSteps, options.MaxSteps, options.MinLearningRateFactor));
        _generator = new Generator(options.Seed, model.Device);
        _fastHead = options.MaskedPositionsHead && model is LladaModel llada ? new MaskedLladaHead(llada) : null;
    }

    /// <summary>The options.</summary>
    public DlmTrainerOptions Options => _options;

    /// <summary>
    /// Trains until <see cref="DlmTrainerOptions.MaxSteps"/> (continuing from the latest checkpoint when
    /// <see cref="DlmTrainerOptions.Resume"/> is set and one exists). On cancellation a checkpoint is written (when a
    /// checkpoint folder is configured) before <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    /// <param name="train">Training stream.</param>
    /// <param name="validation">Held-out stream for the periodic ELBO (optional).</param>
    /// <param name="progress">Receives a report after every step (synchronously when it is not a <see cref="Progress{T}"/>).</param>
    /// <param name="cancellationToken">Stops training at the next step boundary.</param>
    public DlmTrainingResult Train(PackedTokenDataset train, PackedTokenDataset? validation = null,
        IProgress<DlmTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(train);
        var o = _options;
        var length = o.SequenceLength;
        if (train.Count < length)
            throw new ArgumentException($"the training stream has {train.Count} tokens, fewer than one window of {length}", nameof(train));
        if (validation is not null && validation.Count < length)
            throw new ArgumentException($"the held-out stream has {validation.Count} tokens, fewer than one window of {length}", nameof(validation));
        CheckVocabulary(train, nameof(train));
        if (validation is not null) CheckVocabulary(validation, nameof(validation));

        var state = NewState(train);
        string? lastCheckpoint = null;
        if (o.CheckpointDirectory is { } dir && o.Resume && DlmCheckpoint.FindLatest(dir) is { } latest)
        {
            state = LoadCheckpoint(latest, train);
            lastCheckpoint = latest;
            _logger.LogInformation("Resumed from {Checkpoint} at step {Step} ({Tokens:N0} tokens)", latest, state.Step, state.TokensSeen);
        }
        var resumedFrom = state.Step;
        var order = new WindowOrder(train, length, o.Seed);
        var (epoch, index) = (state.Epoch, state.WindowIndex);
        var step = state.Step;
        var tokens = state.TokensSeen;
        var ema = state.SmoothedLoss;
        var validationHistory = new List<DlmEvalPoint>(state.ValidationHistory);
        var lossHistory = new List<DlmLossPoint>(state.LossHistory);
        var previousElapsed = TimeSpan.FromSeconds(state.ElapsedSeconds);
        var clock = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        var runTokens = 0L;
        var window = new long[o.BatchSize * length];
        _model.train();

        DlmTrainerState Snapshot() => state with
        {
            Step = step, TokensSeen = tokens, Epoch = epoch, WindowIndex = index, SmoothedLoss = ema,
            ElapsedSeconds = (previousElapsed + clock.Elapsed).TotalSeconds,
            ValidationHistory = [.. validationHistory], LossHistory = [.. lossHistory],
        };
        void Checkpoint(string why)
        {
            if (o.CheckpointDirectory is null) return;
            lastCheckpoint = SaveCheckpoint(o.CheckpointDirectory, Snapshot());
            sinceCheckpoint.Restart();
            _logger.LogInformation("Checkpoint ({Why}) at step {Step}: {Folder}", why, step, lastCheckpoint);
        }

        _logger.LogInformation(
            "Training {Parameters:N0} parameters: {Steps} steps of {Batch}×{Length} tokens, lr {Lr}, warm-up {Warmup}, curriculum {Curriculum} steps from t_max {TMax}, bf16 {Bf16}, {Train:N0} training tokens{Valid}",
            _model.parameters().Sum(p => p.numel()), o.MaxSteps, o.BatchSize, length, o.LearningRate, o.WarmupSteps, o.CurriculumSteps,
            o.InitialMaxMaskRate, o.Bf16Autocast, train.Count, validation is null ? "" : $", {validation.Count:N0} held-out tokens");

        while (step < o.MaxSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Checkpoint("cancelled");
                cancellationToken.ThrowIfCancellationRequested();
            }
            _schedule.set_step(step);
            var lr = _optimizer.LearningRate;
            var tMax = o.MaxMaskRateAt(step);
            for (var b = 0; b < o.BatchSize; b++)
            {
                if (index >= order.Count(epoch)) { epoch++; index = 0; }
                train.CopyWindow(order.Start(epoch, index), window.AsSpan(b * length, length));
                index++;
            }
            double loss, gradNorm;
            using (var scope = NewDisposeScope())
            using (enable_grad())   // a training step records gradients even when Train is called under no_grad
            {
                var clean = tensor(window, [o.BatchSize, length], device: _model.Device);
                var rates = MaskCorruption.SampleMaskRates(o.BatchSize, o.MinMaskRate, tMax, _generator, _model.Device);
                using var batch = MaskCorruption.Corrupt(clean, rates, _model.Spec.MaskTokenId, generator: _generator);
                var lossTensor = WeightedLoss(clean, batch);
                lossTensor.backward();
                loss = lossTensor.item<float>();
                gradNorm = o.GradientClipNorm > 0
                    ? nn.utils.clip_grad_norm_(_model.parameters(), o.GradientClipNorm)
                    : double.NaN;
                _optimizer.step();
                _optimizer.zero_grad();
            }
            step++;
            tokens += (long)o.BatchSize * length;
            runTokens += (long)o.BatchSize * length;
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"the training loss is {loss} at step {step} (lr {lr}); lower the learning rate");
            ema = double.IsNaN(ema) ? loss : (1 - EmaWeight) * ema + EmaWeight * loss;

            var stopForTime = o.MaxDuration is { } limit && previousElapsed + clock.Elapsed >= limit && step < o.MaxSteps;
            double? evalLoss = null;
            if (validation is not null && ((o.EvalInterval > 0 && step % o.EvalInterval == 0) || step == o.MaxSteps || stopForTime))
            {
                evalLoss = Evaluate(validation);
                validationHistory.Add(new DlmEvalPoint(step, tokens, evalLoss.Value));
                _logger.LogInformation("Step {Step}: held-out ELBO {Loss:F4} nats/token", step, evalLoss.Value);
                _model.train();
            }
            var elapsed = previousElapsed + clock.Elapsed;
            var speed = runTokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            if (step % o.LogInterval == 0 || step == o.MaxSteps || stopForTime)
            {
                lossHistory.Add(new DlmLossPoint(step, tokens, ema, tMax, lr));
                _logger.LogInformation(
                    "Step {Step}/{Total}: loss {Loss:F4} (smoothed {Ema:F4}), t_max {TMax:F2}, lr {Lr:E2}, |g| {Grad:F2}, {Speed:F0} tokens/s, {Tokens:N0} tokens, {Elapsed}",
                    step, o.MaxSteps, loss, ema, tMax, lr, gradNorm, speed, tokens, elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
            }
            progress?.Report(new DlmTrainingProgress(step, o.MaxSteps, tokens, loss, ema, lr, tMax, gradNorm, speed, elapsed, evalLoss));

            if (stopForTime)
            {
                _logger.LogInformation("Stopping at step {Step}: the time limit {Limit} is reached", step, o.MaxDuration);
                break;
            }
            if (step < o.MaxSteps && ((o.CheckpointInterval > 0 && step % o.CheckpointInterval == 0)
                || (o.CheckpointEvery is { } every && sinceCheckpoint.Elapsed >= every)))
                Checkpoint("periodic");
        }
        if (o.CheckpointDirectory is not null && (lastCheckpoint is null || DlmCheckpoint.ReadState(lastCheckpoint).Step != step))
            Checkpoint(step == o.MaxSteps ? "final" : "time limit");
        _model.eval();
        var total = previousElapsed + clock.Elapsed;
        _logger.LogInformation("Finished: {Steps} steps, {Tokens:N0} tokens, {Elapsed}", step, tokens, total);
        return new DlmTrainingResult(step, tokens, total, resumedFrom, validationHistory, lossHistory, lastCheckpoint) { Completed = step == o.MaxSteps };
    }

    /// <summary>
    /// The held-out ELBO in nats per token: the 1/t-weighted masked cross-entropy per token with t stratified over
    /// (0, 1] across the first <see cref="DlmTrainerOptions.EvalWindows"/> windows (spread evenly over the stream), with
    /// a fixed seed, so repeated evaluations see the same windows and masks.
    /// </summary>
    public double Evaluate(PackedTokenDataset data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(data);
        var o = _options;
        var length = o.SequenceLength;
        var available = data.WindowCount(length);
        if (available < 1) throw new ArgumentException($"the stream has fewer than {length} tokens", nameof(data));
        var count = (int)Math.Min(o.EvalWindows, available);
        _model.eval();
        using var generator = new Generator(o.Seed ^ 0x5EED_E7A1UL, _model.Device);
        using var noGrad = no_grad();
        double sum = 0;
        long tokenCount = 0;
        for (var first = 0; first < count; first += o.BatchSize)
        {
            var rows = Math.Min(o.BatchSize, count - first);
            var ids = new long[rows * length];
            for (var r = 0; r < rows; r++)
            {
                var w = (first + r) * available / count;
                data.CopyWindow(w * length, ids.AsSpan(r * length, length));
            }
            using var scope = NewDisposeScope();
            var clean = tensor(ids, [rows, length], device: _model.Device);
            // stratified t: row k of n gets t = ε + (1 − ε)(k + u)/n
            var strata = arange(first, first + rows, ScalarType.Float32, _model.Device);
            var u = rand([rows], ScalarType.Float32, _model.Device, generator);
            var rates = ((strata + u) / count).clamp(o.MinMaskRate, 1.0);
            using var batch = MaskCorruption.Corrupt(clean, rates, _model.Spec.MaskTokenId, generator: generator);
            sum += WeightedLoss(clean, batch).item<float>() * rows * length;
            tokenCount += rows * length;
        }
        return sum / tokenCount;
    }

    /// <summary>Σ_masked nll / t over the batch, divided by B·L (float32 scalar, differentiable).</summary>
    private Tensor WeightedLoss(Tensor clean, CorruptedBatch batch)
    {
        using var scope = NewDisposeScope();
        var shape = clean.shape;
        var flatMask = batch.MaskedPositions.flatten();
        var index = flatMask.nonzero().squeeze(1);
        Tensor nll;
        using (autocast(DeviceType.CPU, ScalarType.BFloat16, _options.Bf16Autocast))
        {
            if (_fastHead is not null)
            {
                nll = _fastHead.MaskedNll(batch.NoisyIds, clean.flatten().index_select(0, index), index);
            }
            else
            {
                var logits = _model.Forward(new DenoiserInput(batch.NoisyIds));
                nll = DlmLoss.TokenNll(_model, logits, batch.NoisyIds, clean).flatten().index_select(0, index);
            }
        }
        var inverseRate = batch.MaskRate.reciprocal().unsqueeze(1).expand(shape[0], shape[1]).flatten().index_select(0, index);
        return ((nll.to(ScalarType.Float32) * inverseRate).sum() / (shape[0] * shape[1])).MoveToOuterDisposeScope();
    }

    private void CheckVocabulary(PackedTokenDataset data, string name)
    {
        var vocab = _model.Spec.VocabSize;
        foreach (var t in data.Tokens)
            if (t >= vocab) throw new ArgumentException($"token id {t} is outside the model's vocabulary of {vocab}", name);
    }

    private DlmTrainerState NewState(PackedTokenDataset train) => new()
    {
        DataFingerprint = train.Fingerprint.ToString("x16", CultureInfo.InvariantCulture),
        DataTokens = train.Count,
        SequenceLength = _options.SequenceLength,
        BatchSize = _options.BatchSize,
        MaxSteps = _options.MaxSteps,
        Seed = _options.Seed,
    };

    private string SaveCheckpoint(string directory, DlmTrainerState state)
    {
        using var scope = NewDisposeScope();
        var trainerTensors = new Dictionary<string, Tensor>();
        foreach (var (k, v) in _optimizer.state_dict()) trainerTensors["optimizer." + k] = v;
        trainerTensors["generator.state"] = _generator.get_state();
        return DlmCheckpoint.Write(directory, state, _model.state_dict(), trainerTensors, _options.CheckpointFiles, _options.KeepCheckpoints);
    }

    private DlmTrainerState LoadCheckpoint(string folder, PackedTokenDataset train)
    {
        var state = DlmCheckpoint.ReadState(folder);
        var expected = NewState(train);
        if (state.DataFingerprint != expected.DataFingerprint || state.DataTokens != expected.DataTokens)
            throw new InvalidOperationException($"{folder} was trained on other data ({state.DataTokens:N0} tokens, fingerprint {state.DataFingerprint}); this stream has {expected.DataTokens:N0} tokens, fingerprint {expected.DataFingerprint}");
        if (state.SequenceLength != expected.SequenceLength || state.BatchSize != expected.BatchSize || state.Seed != expected.Seed || state.MaxSteps != expected.MaxSteps)
            throw new InvalidOperationException($"{folder} was written with sequence length {state.SequenceLength}, batch {state.BatchSize}, {state.MaxSteps} steps, seed {state.Seed}; resume needs the same settings");
        using var scope = NewDisposeScope();
        var weights = Torch.Serialization.SafetensorsTorch.Load(Path.Combine(folder, DlmCheckpoint.ModelFile));
        _model.load_state_dict(weights);
        var trainerTensors = Torch.Serialization.SafetensorsTorch.Load(Path.Combine(folder, DlmCheckpoint.StateFile));
        _optimizer.load_state_dict(trainerTensors
            .Where(kv => kv.Key.StartsWith("optimizer.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["optimizer.".Length..], kv => kv.Value));
        if (!trainerTensors.TryGetValue("generator.state", out var generatorState))
            throw new InvalidDataException($"{folder}/{DlmCheckpoint.StateFile} has no generator state");
        _generator.set_state(generatorState);
        if (_optimizer.StepCount != state.Step)
            throw new InvalidDataException($"{folder}: optimizer step {_optimizer.StepCount} does not match trainer step {state.Step}");
        return state;
    }

    /// <summary>Frees the optimizer state and the generator (not the model).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _optimizer.Dispose();
        _generator.Dispose();
        _fastHead?.Dispose();
    }

    /// <summary>The shuffled window order: epoch e starts at a seeded offset and visits its windows in a seeded permutation.</summary>
    private sealed class WindowOrder(PackedTokenDataset data, int length, ulong seed)
    {
        private long _epoch = -1;
        private int _offset;
        private int[] _permutation = [];

        public long Count(long epoch)
        {
            Load(epoch);
            return _permutation.Length;
        }

        public long Start(long epoch, long index)
        {
            Load(epoch);
            return _offset + (long)_permutation[index] * length;
        }

        private void Load(long epoch)
        {
            if (epoch == _epoch) return;
            var random = new Random(unchecked((int)(seed * 2654435761UL ^ (ulong)epoch * 40503UL ^ (seed >> 32))));
            _offset = epoch == 0 ? 0 : random.Next(length);
            var n = (int)data.WindowCount(length, _offset);
            if (n == 0) { _offset = 0; n = (int)data.WindowCount(length); }
            _permutation = Enumerable.Range(0, n).ToArray();
            random.Shuffle(_permutation);
            _epoch = epoch;
        }
    }

    /// <summary>
    /// LLaDA's forward pass run layer by layer with the LM head applied only at the masked positions (the loss needs
    /// no other logits): identical to <see cref="LladaModel.forward"/> followed by a gather, and cheaper.
    /// </summary>
    private sealed class MaskedLladaHead : IDisposable
    {
        private readonly LladaModel _model;
        private readonly nn.Embedding _embedding;
        private readonly LladaBlock[] _blocks;
        private readonly nn.Linear? _head;
        private readonly Tensor _inverseFrequencies;

        public MaskedLladaHead(LladaModel model)
        {
            _model = model;
            var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
            _embedding = (nn.Embedding)modules["model.transformer.wte"];
            _blocks = Enumerable.Range(0, model.Config.NLayers).Select(i => (LladaBlock)modules[$"model.transformer.blocks.{i}"]).ToArray();
            _head = modules.TryGetValue("model.transformer.ff_out", out var head) ? (nn.Linear)head : null;
            _inverseFrequencies = Rope.InverseFrequencies(model.Config.HeadDim, model.Config.RopeTheta).DetachFromDisposeScope();
        }

        /// <summary>−log p(target) at the flattened positions <paramref name="index"/> of <paramref name="noisy"/> [B, L].</summary>
        public Tensor MaskedNll(Tensor noisy, Tensor targets, Tensor index)
        {
            using var scope = NewDisposeScope();
            var length = noisy.shape[1];
            var x = _embedding.forward(noisy);
            var positions = arange(0, length, ScalarType.Float32, x.device);
            var (cos, sin) = Rope.Angles(positions, _inverseFrequencies.to(x.device));
            foreach (var block in _blocks) x = block.Forward(x, cos, sin, null, _model.Hooks);
            var h = _model.FinalNorm(x);
            var selected = h.reshape(-1, h.shape[2]).index_select(0, index);
            var logits = _head is not null ? _head.forward(selected) : nn.functional.linear(selected, _embedding.weight);
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), targets, reduction: nn.Reduction.None)
                .MoveToOuterDisposeScope();
        }

        public void Dispose() => _inverseFrequencies.Dispose();
    }
}
