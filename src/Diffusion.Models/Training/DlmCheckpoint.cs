using System.Text.Json;
using System.Text.Json.Serialization;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;

namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>The trainer's bookkeeping in a checkpoint (<c>trainer.json</c>).</summary>
public sealed record DlmTrainerState
{
    /// <summary>Format version.</summary>
    public int Version { get; init; } = 1;
    /// <summary>Steps completed.</summary>
    public long Step { get; init; }
    /// <summary>Training tokens consumed.</summary>
    public long TokensSeen { get; init; }
    /// <summary>Data position: the epoch of the next window.</summary>
    public long Epoch { get; init; }
    /// <summary>Data position: the index (within the epoch's order) of the next window.</summary>
    public long WindowIndex { get; init; }
    /// <summary>Wall time spent training, in seconds.</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>The smoothed training loss (NaN before the first step).</summary>
    public double SmoothedLoss { get; init; } = double.NaN;
    /// <summary>The training data's fingerprint and size (resume refuses other data).</summary>
    public string DataFingerprint { get; init; } = "";
    /// <summary>Training tokens in the stream.</summary>
    public long DataTokens { get; init; }
    /// <summary>Settings that must not change on resume: sequence length, batch size, steps, seed.</summary>
    public int SequenceLength { get; init; }
    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; }
    /// <summary>Total steps of the schedule.</summary>
    public long MaxSteps { get; init; }
    /// <summary>Seed.</summary>
    public ulong Seed { get; init; }
    /// <summary>Held-out evaluations so far.</summary>
    public List<DlmEvalPoint> ValidationHistory { get; init; } = [];
    /// <summary>Smoothed training losses so far.</summary>
    public List<DlmLossPoint> LossHistory { get; init; } = [];
}

/// <summary>
/// Checkpoint folders of <see cref="DlmTrainer"/>: <c>step-NNNNNNNN/</c> holding <c>model.safetensors</c> (the model's
/// state dict under its checkpoint names), <c>trainer-state.safetensors</c> (optimizer moments and step, generator
/// state), <c>trainer.json</c> (<see cref="DlmTrainerState"/>) and any extra files; plus a <c>latest</c> file naming
/// the newest folder. A folder is written under a temporary name and renamed, and <c>latest</c> is replaced by rename,
/// so an interrupted write never leaves a half checkpoint behind as the latest.
/// </summary>
public static class DlmCheckpoint
{
    /// <summary>The optimizer and generator state file.</summary>
    public const string StateFile = "trainer-state.safetensors";
    /// <summary>The bookkeeping file.</summary>
    public const string TrainerFile = "trainer.json";
    /// <summary>The model weights file.</summary>
    public const string ModelFile = "model.safetensors";
    /// <summary>The file naming the latest checkpoint folder.</summary>
    public const string LatestFile = "latest";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>The folder of the latest checkpoint in <paramref name="directory"/>, or null when there is none.</summary>
    public static string? FindLatest(string directory)
    {
        var latest = Path.Combine(directory, LatestFile);
        if (!File.Exists(latest)) return null;
        var name = File.ReadAllText(latest).Trim();
        var folder = Path.Combine(directory, name);
        if (name.Length == 0 || name != Path.GetFileName(name) || !File.Exists(Path.Combine(folder, TrainerFile)))
            throw new InvalidDataException($"{latest} names '{name}', which is not a complete checkpoint folder");
        return folder;
    }

    /// <summary>Reads a checkpoint's bookkeeping.</summary>
    public static DlmTrainerState ReadState(string folder) =>
        JsonSerializer.Deserialize<DlmTrainerState>(File.ReadAllText(Path.Combine(folder, TrainerFile)), Json)
        ?? throw new InvalidDataException($"{folder}/{TrainerFile} is empty");

    internal static string Write(string directory, DlmTrainerState state, IReadOnlyDictionary<string, torch.Tensor> model,
        IReadOnlyDictionary<string, torch.Tensor> trainerTensors, IReadOnlyDictionary<string, string>? files, int keep)
    {
        Directory.CreateDirectory(directory);
        var name = $"step-{state.Step:D8}";
        var folder = Path.Combine(directory, name);
        var temp = Path.Combine(directory, $".{name}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        SafetensorsTorch.Save(Path.Combine(temp, ModelFile), model, new Dictionary<string, string> { ["format"] = "pt" });
        SafetensorsTorch.Save(Path.Combine(temp, StateFile), trainerTensors);
        if (files is not null)
            foreach (var (file, content) in files) File.WriteAllText(Path.Combine(temp, file), content);
        File.WriteAllText(Path.Combine(temp, TrainerFile), JsonSerializer.Serialize(state, Json));
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temp, folder);
        var latestTemp = Path.Combine(directory, LatestFile + ".tmp");
        File.WriteAllText(latestTemp, name + "\n");
        File.Move(latestTemp, Path.Combine(directory, LatestFile), overwrite: true);
        Prune(directory, keep, name);
        return folder;
    }

    private static void Prune(string directory, int keep, string newest)
    {
        var folders = Directory.GetDirectories(directory, "step-*")
            .Select(Path.GetFileName).OfType<string>()
            .Where(n => n.Length == 13 && long.TryParse(n.AsSpan(5), out _))
            .OrderByDescending(n => n, StringComparer.Ordinal)
            .ToList();
        foreach (var old in folders.Where(n => n != newest).Skip(keep - 1))
        {
            try { Directory.Delete(Path.Combine(directory, old), recursive: true); }
            catch (IOException) { }
        }
    }
}
