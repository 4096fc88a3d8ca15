using System.Collections.ObjectModel;

namespace DiffusionSteering.Torch.Safetensors;

/// <summary>
/// A model checkpoint stored as one safetensors file or as shards listed by an index
/// (<c>model.safetensors.index.json</c>), with one name → tensor lookup across all shards.
/// </summary>
/// <remarks>
/// Opening a sharded checkpoint opens and validates every shard and checks them against the index: a listed shard
/// that does not exist (<see cref="SafetensorsRule.MissingShard"/>), a tensor the index maps to a shard that lacks it
/// (<see cref="SafetensorsRule.TensorMissingFromShard"/>) and a tensor found in a shard the index does not map it to,
/// or does not list at all (<see cref="SafetensorsRule.TensorInUnexpectedShard"/>) are errors.
/// </remarks>
public sealed class SafetensorsCheckpoint : ISafetensorsReader
{
    private readonly IReadOnlyDictionary<string, SafetensorsTensorInfo> _tensors;
    private readonly IReadOnlyDictionary<string, string> _metadata;
    private readonly Dictionary<string, SafetensorsFile> _shardOf;
    private readonly SafetensorsFile[] _shards;
    private int _disposed;

    private SafetensorsCheckpoint(
        string path, SafetensorsIndex? index, SafetensorsFile[] shards, Dictionary<string, SafetensorsFile> shardOf,
        IReadOnlyDictionary<string, SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Index = index;
        _shards = shards;
        Shards = Array.AsReadOnly(shards);
        _shardOf = shardOf;
        _tensors = tensors;
        _metadata = metadata;
    }

    /// <summary>What was opened: the single .safetensors file, or the index file of a sharded checkpoint.</summary>
    public string Path { get; }

    /// <summary>The index of a sharded checkpoint; <see langword="null"/> for a single file.</summary>
    public SafetensorsIndex? Index { get; }

    /// <summary>Whether the checkpoint came from an index.</summary>
    public bool IsSharded => Index is not null;

    /// <summary>The open files: the single file, or every shard (ordered by shard file name).</summary>
    public IReadOnlyList<SafetensorsFile> Shards { get; }

    /// <summary>
    /// Single file: its <c>__metadata__</c>. Sharded: the index's <c>metadata</c> (non-string values as JSON text,
    /// e.g. <c>total_size</c>); the shards' own metadata is on <see cref="Shards"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The checkpoint was disposed.</exception>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            ThrowIfDisposed();
            return _metadata;
        }
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors
    {
        get
        {
            ThrowIfDisposed();
            return _tensors;
        }
    }

    /// <summary>
    /// Opens a checkpoint. <paramref name="path"/> may be a <c>.safetensors</c> file, an index <c>.json</c> file, or a
    /// folder, which is resolved in this order: <c>model.safetensors.index.json</c>, <c>model.safetensors</c>, the
    /// folder's only <c>*.safetensors.index.json</c>, the folder's only <c>*.safetensors</c>.
    /// </summary>
    /// <param name="path">File or folder.</param>
    /// <param name="options">Validation knobs for every file; <see cref="SafetensorsReadOptions.Default"/> when null.</param>
    /// <exception cref="SafetensorsFormatException">A file or the index is malformed, or index and shards disagree.</exception>
    /// <exception cref="FileNotFoundException">Nothing to open at <paramref name="path"/>.</exception>
    public static SafetensorsCheckpoint Open(string path, SafetensorsReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var resolved = Resolve(System.IO.Path.GetFullPath(path));
        if (resolved.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return OpenSharded(resolved, options);

        var file = SafetensorsFile.Open(resolved, options);
        var shardOf = file.TensorNames.ToDictionary(n => n, _ => file, StringComparer.Ordinal);
        return new SafetensorsCheckpoint(resolved, null, [file], shardOf, file.Tensors, file.Metadata);
    }

    /// <summary>The file that holds tensor <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    public SafetensorsFile GetShard(string name)
    {
        _ = GetInfo(name);
        return _shardOf[name];
    }

    /// <inheritdoc />
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Tensors.ContainsKey(name);
    }

    /// <inheritdoc />
    public SafetensorsTensorInfo GetInfo(string name) => TensorLookup.Find(Tensors, name, $"checkpoint '{Path}'");

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetBytes(string name) => GetShard(name).GetBytes(name);

    /// <inheritdoc />
    public IntPtr GetPointer(string name) => GetShard(name).GetPointer(name);

    /// <inheritdoc />
    public SafetensorsLease AcquireLease(string name) => GetShard(name).AcquireLease();

    /// <inheritdoc />
    public T[] Read<T>(string name) where T : unmanaged => GetShard(name).Read<T>(name);

    /// <inheritdoc />
    public float[] ReadAsFloat32(string name) => GetShard(name).ReadAsFloat32(name);

    /// <summary>Disposes every shard (leases keep their mappings). Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var shard in _shards) shard.Dispose();
    }

    /// <summary>The path, shard count and tensor count.</summary>
    public override string ToString() => $"{Path} ({_shards.Length} file(s), {_tensors.Count} tensors)";

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
            throw new ObjectDisposedException(nameof(SafetensorsCheckpoint), $"The checkpoint '{Path}' has been disposed.");
    }

    private static string Resolve(string path)
    {
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"No safetensors checkpoint at '{path}': no such file or folder.", path);

        var index = System.IO.Path.Combine(path, SafetensorsIndex.DefaultFileName);
        if (File.Exists(index)) return index;
        var single = System.IO.Path.Combine(path, "model.safetensors");
        if (File.Exists(single)) return single;
        var indexes = Directory.GetFiles(path, "*.safetensors.index.json");
        if (indexes.Length == 1) return indexes[0];
        var files = Directory.GetFiles(path, "*.safetensors");
        if (indexes.Length == 0 && files.Length == 1) return files[0];
        throw new FileNotFoundException(
            $"Cannot tell which checkpoint to open in '{path}': no {SafetensorsIndex.DefaultFileName} or model.safetensors, " +
            $"and {indexes.Length} *.safetensors.index.json / {files.Length} *.safetensors files. Pass the file itself.",
            path);
    }

    private static SafetensorsCheckpoint OpenSharded(string indexPath, SafetensorsReadOptions? options)
    {
        var index = SafetensorsIndex.Load(indexPath);

        var missing = index.ShardFileNames.Where(s => !File.Exists(index.ResolveShardPath(s))).ToList();
        if (missing.Count > 0)
        {
            var first = missing[0];
            var mapped = index.WeightMap.Count(kv => kv.Value == first);
            throw new SafetensorsFormatException(index.ResolveShardPath(first), null, SafetensorsRule.MissingShard,
                $"shard '{first}' does not exist, but index '{index.FilePath}' maps {mapped} tensor(s) to it" +
                (missing.Count > 1 ? $"; also missing: {string.Join(", ", missing.Skip(1).Select(m => "'" + m + "'"))}." : "."));
        }

        var shards = new List<SafetensorsFile>();
        try
        {
            var byShardName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var shardName in index.ShardFileNames)
            {
                var shard = SafetensorsFile.Open(index.ResolveShardPath(shardName), options);
                shards.Add(shard);
                byShardName.Add(shardName, shard);
            }

            CheckAgainstIndex(index, byShardName);

            var shardOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            foreach (var (tensor, shardName) in index.WeightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var shard = byShardName[shardName];
                shardOf.Add(tensor, shard);
                tensors.Add(tensor, shard.GetInfo(tensor));
            }
            return new SafetensorsCheckpoint(indexPath, index, [.. shards], shardOf,
                new ReadOnlyDictionary<string, SafetensorsTensorInfo>(tensors), index.Metadata);
        }
        catch
        {
            foreach (var shard in shards) shard.Dispose();
            throw;
        }
    }

    private static void CheckAgainstIndex(SafetensorsIndex index, Dictionary<string, SafetensorsFile> byShardName)
    {
        // Two names of one file (e.g. "a.safetensors" and "./a.safetensors") are the same shard.
        string Canonical(string shardName) => index.ResolveShardPath(shardName);

        foreach (var (shardName, shard) in byShardName)
        {
            foreach (var tensor in shard.TensorNames)
            {
                if (!index.WeightMap.TryGetValue(tensor, out var mappedTo))
                {
                    throw new SafetensorsFormatException(shard.FilePath, tensor, SafetensorsRule.TensorInUnexpectedShard,
                        $"the shard contains the tensor, but index '{index.FilePath}' does not list it.");
                }
                if (Canonical(mappedTo) != Canonical(shardName))
                {
                    throw new SafetensorsFormatException(shard.FilePath, tensor, SafetensorsRule.TensorInUnexpectedShard,
                        $"the shard contains the tensor, but index '{index.FilePath}' maps it to shard '{mappedTo}'.");
                }
            }
        }
        foreach (var (tensor, shardName) in index.WeightMap)
        {
            var shard = byShardName[shardName];
            if (!shard.Contains(tensor))
            {
                throw new SafetensorsFormatException(shard.FilePath, tensor, SafetensorsRule.TensorMissingFromShard,
                    $"index '{index.FilePath}' maps the tensor to shard '{shardName}', which does not contain it.");
            }
        }
    }
}
