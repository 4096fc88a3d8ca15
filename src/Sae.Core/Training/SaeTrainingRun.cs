using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Training;

/// <summary>One SAE of a run: the site it reads and its shape and sparsity rule.</summary>
/// <param name="Site">The residual site (layer, hook point).</param>
/// <param name="Config">Width, architecture, k.</param>
public sealed record SaeTrainingSpec(ResidualSite Site, SaeConfig Config)
{
    /// <summary>A name unique within a run, e.g. <c>L1.resid_post-topk-k32-w4096</c>.</summary>
    public string Name => $"{Site.Key()}-{Config.Architecture.ToString().ToLowerInvariant()}-k{Config.K}-w{Config.DSae}";
}

/// <summary>Options of a <see cref="SaeTrainingRun"/>.</summary>
public sealed record SaeTrainingRunOptions
{
    /// <summary>The per-SAE training hyper-parameters (shared by every SAE of the run).</summary>
    public SaeTrainingOptions Training { get; init; } = new();

    /// <summary>Rows the shuffling buffer holds (null: 8 × batch size).</summary>
    public int? BufferCapacity { get; init; }

    /// <summary>Seed of the buffer's shuffling.</summary>
    public ulong BufferSeed { get; init; }

    /// <summary>Folder for checkpoints (null: none).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Checkpoint every this many steps (and at the end).</summary>
    public long CheckpointEverySteps { get; init; } = 1000;

    /// <summary>Checkpoints kept (oldest removed).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Write a checkpoint when cancellation is observed between steps.</summary>
    public bool CheckpointOnCancel { get; init; } = true;

    /// <summary>Continue from the latest checkpoint in <see cref="CheckpointDirectory"/> when there is one.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Log a summary every this many steps.</summary>
    public long LogEverySteps { get; init; } = 100;
}

/// <summary>Progress after a step.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps of the run.</param>
/// <param name="Tokens">Training tokens seen.</param>
/// <param name="Saes">The step's statistics, one per SAE in spec order.</param>
public sealed record SaeTrainingProgress(long Step, long TotalSteps, long Tokens, IReadOnlyList<SaeStepStatistics> Saes);

/// <summary>
/// Trains several SAEs (e.g. layers × k) from one activation stream: every forward pass of the model feeds all of
/// them through one shuffling buffer. Reports progress, logs, honours cancellation between steps, and writes atomic
/// checkpoints (SAEs, optimizer moments, counters, buffer contents, generator and source state) from which an
/// interrupted run continues with bit-identical results.
/// </summary>
public sealed class SaeTrainingRun : IDisposable
{
    /// <summary>Value of the <c>format</c> field of a checkpoint's <c>run.json</c>.</summary>
    public const string CheckpointFormat = "diffusionsteering-sae-checkpoint";
    private const string LatestFileName = "latest.json";

    private readonly IActivationSource _source;
    private readonly ActivationBuffer _buffer;
    private readonly List<SaeTrainer> _trainers = new();
    private readonly ILogger _logger;
    private bool _inconsistent;
    private bool _resumeChecked;

    /// <summary>Creates the run (the source is not owned).</summary>
    public SaeTrainingRun(IActivationSource source, IReadOnlyList<SaeTrainingSpec> specs, SaeTrainingRunOptions options, ILogger? logger = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (specs.Count == 0) throw new ArgumentException("give at least one SAE to train", nameof(specs));
        options.Training.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CheckpointEverySteps, 1, nameof(options.CheckpointEverySteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.KeepCheckpoints, 1, nameof(options.KeepCheckpoints));
        var names = specs.Select(s => s.Name).ToList();
        if (names.Distinct().Count() != names.Count) throw new ArgumentException("two SAEs of the run have the same site, architecture, k and width", nameof(specs));
        foreach (var spec in specs)
        {
            if (!source.Sites.Contains(spec.Site)) throw new ArgumentException($"the activation source does not read {spec.Site.Key()}", nameof(specs));
            if (spec.Config.DIn != source.Width)
                throw new ArgumentException($"SAE {spec.Name} has d_in = {spec.Config.DIn} but the activations have width {source.Width}", nameof(specs));
        }
        _source = source;
        Specs = specs.ToList();
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        var capacity = options.BufferCapacity ?? checked(8 * options.Training.BatchSize);
        if (capacity < 2 * options.Training.BatchSize)
            throw new ArgumentOutOfRangeException(nameof(options), capacity, $"the buffer must hold at least two batches ({2 * options.Training.BatchSize} rows)");
        _buffer = new ActivationBuffer(source, capacity, options.BufferSeed);
        try
        {
            foreach (var spec in specs) _trainers.Add(new SaeTrainer(spec.Config, options.Training, device));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The SAEs trained, in order.</summary>
    public IReadOnlyList<SaeTrainingSpec> Specs { get; }

    /// <summary>One trainer per spec.</summary>
    public IReadOnlyList<SaeTrainer> Trainers => _trainers;

    /// <summary>The options.</summary>
    public SaeTrainingRunOptions Options { get; }

    /// <summary>Steps completed.</summary>
    public long Step { get; private set; }

    /// <summary>Steps of the whole run.</summary>
    public long TotalSteps => Options.Training.TotalSteps;

    /// <summary>True once every step has run (or the source ran out).</summary>
    public bool Completed { get; private set; }

    /// <summary>The step of the checkpoint the run resumed from (null: started fresh).</summary>
    public long? ResumedFromStep { get; private set; }

    /// <summary>
    /// Trains until <see cref="TotalSteps"/> (or until the source is exhausted), first resuming from the latest
    /// checkpoint when <see cref="SaeTrainingRunOptions.Resume"/> is set. Cancellation is observed between steps (a
    /// checkpoint is written first when configured) and during source reads; then <see cref="OperationCanceledException"/>
    /// is thrown.
    /// </summary>
    public void Train(IProgress<SaeTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_inconsistent) throw new InvalidOperationException("this run was interrupted while reading activations; create a new run to resume from its checkpoint");
        if (!_resumeChecked)
        {
            _resumeChecked = true;
            if (Options.Resume && Options.CheckpointDirectory is { } dir && LatestCheckpoint(dir) is { } latest) LoadCheckpoint(latest);
        }
        var batchSize = Options.Training.BatchSize;
        _logger.LogInformation("SAE training: {Count} SAE(s), step {Step}/{Total}, batch {Batch} tokens", _trainers.Count, Step, TotalSteps, batchSize);
        while (Step < TotalSteps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (Options.CheckpointOnCancel && Options.CheckpointDirectory is not null) SaveCheckpoint();
                _logger.LogInformation("SAE training cancelled at step {Step}", Step);
                cancellationToken.ThrowIfCancellationRequested();
            }
            ActivationBatch? batch;
            try
            {
                batch = _buffer.Next(batchSize, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                _inconsistent = true;
                _logger.LogInformation("SAE training cancelled while reading activations at step {Step}; resume from the last checkpoint", Step);
                throw;
            }
            if (batch is null)
            {
                _logger.LogWarning("the activation source ran out at step {Step} of {Total}", Step, TotalSteps);
                break;
            }
            using (batch)
            {
                if (batch.Count < batchSize)
                {
                    _logger.LogWarning("the activation source ran out at step {Step} of {Total} (last batch of {Rows} rows dropped)", Step, TotalSteps, batch.Count);
                    break;
                }
                var statistics = new SaeStepStatistics[_trainers.Count];
                for (var i = 0; i < _trainers.Count; i++) statistics[i] = _trainers[i].TrainStep(batch[Specs[i].Site]);
                Step++;
                progress?.Report(new SaeTrainingProgress(Step, TotalSteps, _trainers[0].Tokens, statistics));
                if (Options.LogEverySteps > 0 && (Step % Options.LogEverySteps == 0 || Step == TotalSteps))
                    for (var i = 0; i < statistics.Length; i++)
                    {
                        var s = statistics[i];
                        _logger.LogInformation("step {Step}/{Total} {Name}: loss {Loss:G4} fvu {Fvu:G4} l0 {L0:F1} aux {Aux:G4} dead {Dead} lr {Lr:G3}",
                            Step, TotalSteps, Specs[i].Name, s.Loss, s.Fvu, s.L0, s.AuxLoss, s.DeadLatents, s.LearningRate);
                    }
                if (Options.CheckpointDirectory is not null && Step % Options.CheckpointEverySteps == 0 && Step < TotalSteps) SaveCheckpoint();
            }
        }
        Completed = true;
        if (Options.CheckpointDirectory is not null) SaveCheckpoint();
        _logger.LogInformation("SAE training finished at step {Step}", Step);
    }

    /// <summary>SAE metadata for spec <paramref name="index"/>: the site and the source's provenance, unless the config sets them.</summary>
    public SaeMetadata MetadataFor(int index)
    {
        var spec = Specs[index];
        var info = _source.Info;
        var m = spec.Config.Metadata;
        return m with
        {
            ModelName = m.ModelName ?? info.ModelName,
            Layer = m.Layer ?? spec.Site.Layer,
            HookName = m.HookName ?? spec.Site.HookName(),
            PositionPolicy = m.PositionPolicy ?? info.PositionPolicy?.ToMetadataName(),
            MaskRateMin = m.MaskRateMin ?? info.MaskRateMin,
            MaskRateMax = m.MaskRateMax ?? info.MaskRateMax,
            ContextSize = m.ContextSize ?? info.ContextSize,
        };
    }

    /// <summary>The trained SAE <paramref name="index"/> for raw activations, with its DLM metadata (a new SAE the caller owns).</summary>
    public SparseAutoencoder ExportSae(int index) => _trainers[index].ExportSae(MetadataFor(index));

    /// <summary>Writes every SAE as an SAELens folder <c>{folder}/{spec name}</c>; returns the folders.</summary>
    public IReadOnlyList<string> SaveSaes(string folder)
    {
        var written = new List<string>();
        for (var i = 0; i < _trainers.Count; i++)
        {
            using var sae = ExportSae(i);
            var target = Path.Combine(folder, Specs[i].Name);
            SaeLensFormat.Save(sae, target);
            written.Add(target);
        }
        return written;
    }

    // ---- checkpoints

    /// <summary>The latest complete checkpoint folder in <paramref name="directory"/>, or null.</summary>
    public static string? LatestCheckpoint(string directory)
    {
        var pointer = Path.Combine(directory, LatestFileName);
        if (!File.Exists(pointer)) return null;
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(pointer));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{pointer}: not valid JSON ({e.Message})", e);
        }
        var name = node?["checkpoint"]?.GetValue<string>() ?? throw new InvalidDataException($"{pointer}: no 'checkpoint' entry");
        if (name.Contains('/') || name.Contains('\\') || name.Contains("..")) throw new InvalidDataException($"{pointer}: invalid checkpoint name '{name}'");
        var folder = Path.Combine(directory, name);
        if (!Directory.Exists(folder)) throw new InvalidDataException($"{pointer} names {name}, which does not exist");
        return folder;
    }

    /// <summary>
    /// Writes a checkpoint atomically: into a temporary folder, renamed into place, then <c>latest.json</c> replaced
    /// (a crash at any point leaves the previous checkpoint usable). Returns the checkpoint folder.
    /// </summary>
    public string SaveCheckpoint()
    {
        var directory = Options.CheckpointDirectory ?? throw new InvalidOperationException("no checkpoint directory configured");
        if (_inconsistent) throw new InvalidOperationException("the run was interrupted while reading activations; its state cannot be checkpointed");
        Directory.CreateDirectory(directory);
        var name = $"step-{Step:D10}";
        var temp = Path.Combine(directory, $".tmp-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            for (var i = 0; i < _trainers.Count; i++) SaveTensors(Path.Combine(temp, $"sae-{i:D3}.safetensors"), _trainers[i].GetState());
            SaveTensors(Path.Combine(temp, "buffer.safetensors"), _buffer.GetState());
            var run = new JsonObject
            {
                ["format"] = CheckpointFormat,
                ["version"] = 1,
                ["step"] = Step,
                ["total_steps"] = TotalSteps,
                ["batch_size"] = Options.Training.BatchSize,
                ["completed"] = Completed,
                ["saes"] = new JsonArray(Specs.Select(s => (JsonNode)new JsonObject
                {
                    ["name"] = s.Name,
                    ["site"] = s.Site.Key(),
                    ["d_in"] = s.Config.DIn,
                    ["d_sae"] = s.Config.DSae,
                    ["architecture"] = s.Config.Architecture.ToString(),
                    ["k"] = s.Config.K,
                }).ToArray()),
            };
            File.WriteAllText(Path.Combine(temp, "run.json"), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var final = Path.Combine(directory, name);
            if (Directory.Exists(final)) Directory.Delete(final, true);
            Directory.Move(temp, final);
            var pointer = Path.Combine(directory, LatestFileName);
            var pointerTemp = pointer + ".tmp-" + Guid.NewGuid().ToString("N");
            File.WriteAllText(pointerTemp, new JsonObject { ["checkpoint"] = name, ["step"] = Step }.ToJsonString());
            File.Move(pointerTemp, pointer, overwrite: true);
            Prune(directory, name);
            _logger.LogInformation("checkpoint {Name} written", name);
            return final;
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, true);
            throw;
        }
    }

    private void Prune(string directory, string keep)
    {
        var checkpoints = Directory.GetDirectories(directory, "step-*").Select(Path.GetFileName).OfType<string>()
            .Where(n => n != keep).OrderByDescending(n => n, StringComparer.Ordinal).ToList();
        foreach (var old in checkpoints.Skip(Options.KeepCheckpoints - 1)) Directory.Delete(Path.Combine(directory, old), true);
        foreach (var stale in Directory.GetDirectories(directory, ".tmp-*")) Directory.Delete(stale, true);
    }

    private static void SaveTensors(string path, Dictionary<string, Tensor> tensors)
    {
        try
        {
            SafetensorsTorch.Save(path, tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Restores the run from a checkpoint folder (validated against this run's SAEs).</summary>
    public void LoadCheckpoint(string folder)
    {
        var runFile = Path.Combine(folder, "run.json");
        if (!File.Exists(runFile)) throw new InvalidDataException($"{folder}: not a checkpoint (no run.json)");
        var run = JsonNode.Parse(File.ReadAllText(runFile)) ?? throw new InvalidDataException($"{runFile}: empty");
        if (run["format"]?.GetValue<string>() != CheckpointFormat) throw new InvalidDataException($"{runFile}: not an SAE training checkpoint");
        var saes = run["saes"]?.AsArray().Select(n => n!["name"]!.GetValue<string>()).ToList() ?? [];
        if (!saes.SequenceEqual(Specs.Select(s => s.Name)))
            throw new InvalidDataException($"{folder}: the checkpoint trains [{string.Join(", ", saes)}], this run [{string.Join(", ", Specs.Select(s => s.Name))}]");
        var batch = run["batch_size"]?.GetValue<int>();
        if (batch != Options.Training.BatchSize)
            throw new InvalidDataException($"{folder}: the checkpoint used batches of {batch} tokens, this run {Options.Training.BatchSize}");
        for (var i = 0; i < _trainers.Count; i++)
        {
            var state = LoadTensors(Path.Combine(folder, $"sae-{i:D3}.safetensors"));
            try
            {
                _trainers[i].SetState(state);
            }
            finally
            {
                foreach (var t in state.Values) t.Dispose();
            }
        }
        var bufferState = LoadTensors(Path.Combine(folder, "buffer.safetensors"));
        try
        {
            _buffer.SetState(bufferState);
        }
        finally
        {
            foreach (var t in bufferState.Values) t.Dispose();
        }
        Step = run["step"]!.GetValue<long>();
        ResumedFromStep = Step;
        _resumeChecked = true;
        _logger.LogInformation("resumed from checkpoint {Folder} at step {Step}", folder, Step);
    }

    private static Dictionary<string, Tensor> LoadTensors(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"checkpoint file missing: {path}");
        var tensors = SafetensorsTorch.Load(path);
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        return tensors;
    }

    /// <summary>Frees the trainers and the buffer (the source is not owned).</summary>
    public void Dispose()
    {
        foreach (var t in _trainers) t.Dispose();
        _trainers.Clear();
        _buffer.Dispose();
    }
}
