using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Safetensors;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Checkpoints;

/// <summary>
/// The safetensors weights of a checkpoint folder (one file, or shards listed in <c>model.safetensors.index.json</c>),
/// memory-mapped and read tensor by tensor into a module whose parameter names are the checkpoint's names.
/// </summary>
public sealed class CheckpointWeights : IDisposable
{
    private readonly SafetensorsCheckpoint _checkpoint;

    private CheckpointWeights(SafetensorsCheckpoint checkpoint, string location)
    {
        _checkpoint = checkpoint;
        Location = location;
    }

    /// <summary>The file or index the weights come from.</summary>
    public string Location { get; }

    /// <summary>Every tensor name in the checkpoint.</summary>
    public IReadOnlyCollection<string> Names => _checkpoint.Tensors.Keys.ToList();

    /// <summary>The shape stored for a tensor.</summary>
    public long[] ShapeOf(string name) => _checkpoint.GetInfo(name).GetShape();

    /// <summary>True when the checkpoint holds the tensor.</summary>
    public bool Contains(string name) => _checkpoint.Contains(name);

    /// <summary>
    /// Opens the weights of a checkpoint folder: <c>model.safetensors.index.json</c> if present, else
    /// <c>model.safetensors</c>, else the folder's only <c>*.safetensors</c> file.
    /// </summary>
    public static CheckpointWeights Open(string folder)
    {
        string path;
        var index = Path.Combine(folder, "model.safetensors.index.json");
        var single = Path.Combine(folder, "model.safetensors");
        if (File.Exists(index)) path = index;
        else if (File.Exists(single)) path = single;
        else
        {
            var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.safetensors") : [];
            path = files.Length switch
            {
                1 => files[0],
                0 => throw new CheckpointException($"{folder}: no model.safetensors, model.safetensors.index.json or other *.safetensors file"),
                _ => throw new CheckpointException($"{folder}: several *.safetensors files but no model.safetensors.index.json to say which are shards"),
            };
        }
        try
        {
            return new CheckpointWeights(SafetensorsCheckpoint.Open(path), path);
        }
        catch (Exception e) when (e is SafetensorsFormatException or IOException or KeyNotFoundException)
        {
            throw new CheckpointException($"{path}: cannot open the weights ({e.Message})", e);
        }
    }

    /// <summary>Reads one tensor converted to a dtype and device.</summary>
    public Tensor Load(string name, ScalarType? dtype = null, Device? device = null)
    {
        if (!_checkpoint.Contains(name)) throw new CheckpointException($"{Location}: tensor '{name}' is missing");
        return _checkpoint.LoadTensor(name, dtype, device);
    }

    /// <summary>
    /// Fills every parameter and persistent buffer of <paramref name="module"/> from the tensor of the same name,
    /// converted to <paramref name="dtype"/> (floating-point tensors only) on <paramref name="device"/>. Every problem is
    /// checked before anything is read: missing tensors, tensors the module does not have (except those matching
    /// <paramref name="ignorable"/>) and shapes that differ from what the config implies all throw one
    /// <see cref="CheckpointException"/> listing them.
    /// </summary>
    /// <remarks>
    /// With <paramref name="zeroCopy"/>, tensors stored in the wanted dtype on a CPU target view the memory-mapped
    /// file instead of being copied (see <see cref="SafetensorsTorch.LoadTensor"/>): loading reads nothing, the weights
    /// occupy memory once (as shareable, reclaimable file pages until written), and the mapping lives as long as those
    /// tensors. The file must then not be truncated or rewritten in place while the module lives (replacing it by
    /// rename is safe). Other tensors are copied through a per-tensor mapping that is unmapped at once, so converting
    /// needs the converted weights plus one stored tensor.
    /// </remarks>
    public void LoadInto(nn.Module module, ScalarType dtype, Device device, Func<string, bool>? ignorable = null, bool zeroCopy = false)
    {
        var targets = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters()) targets[name] = p;
        foreach (var (name, b) in module.named_buffers(persistentOnly: true)) targets[name] = b;

        var problems = new List<string>();
        var missing = targets.Keys.Where(k => !_checkpoint.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count > 0) problems.Add("missing tensor(s): " + string.Join(", ", missing));
        var unexpected = _checkpoint.Tensors.Keys.Where(k => !targets.ContainsKey(k) && !(ignorable?.Invoke(k) ?? false))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0) problems.Add("unexpected tensor(s): " + string.Join(", ", unexpected));
        foreach (var (name, target) in targets)
        {
            if (!_checkpoint.Contains(name)) continue;
            var want = target.shape;
            var got = ShapeOf(name);
            if (!want.SequenceEqual(got))
                problems.Add($"tensor '{name}' has shape [{string.Join(", ", got)}] but the config implies [{string.Join(", ", want)}]");
        }
        if (problems.Count > 0) throw new CheckpointException($"{Location}: " + string.Join("; ", problems));

        using var noGrad = no_grad();
        foreach (var (name, target) in targets)
        {
            using var scope = NewDisposeScope();
            var stored = SafetensorsTorch.ToScalarType(_checkpoint.GetInfo(name).DType, name);
            var wanted = stored.IsFloatingPoint() ? dtype : stored;
            var value = _checkpoint.LoadTensor(name, wanted, device, copy: !zeroCopy);
            target.set_data(value);
        }
    }

    /// <summary>Releases the memory mappings (tensors already loaded stay valid).</summary>
    public void Dispose() => _checkpoint.Dispose();
}
