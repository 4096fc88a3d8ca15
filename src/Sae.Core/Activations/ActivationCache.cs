using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// An on-disk activation cache: <c>manifest.json</c> plus safetensors shards <c>shard-00000.safetensors</c>, … each
/// holding one [rows, d] tensor per site (named by <see cref="ActivationNames.Key"/>, e.g. <c>L1.resid_post</c>),
/// <c>mask_rate</c> [rows] float32 and <c>masked</c> [rows] bool. Shards and the manifest are written atomically, and
/// the manifest is rewritten after every shard, so an interrupted write leaves a valid, shorter cache.
/// </summary>
public static class ActivationCache
{
    /// <summary>Manifest file name.</summary>
    public const string ManifestFileName = "manifest.json";
    /// <summary>Value of the manifest's <c>format</c> field.</summary>
    public const string FormatName = "diffusionsteering-activation-cache";

    /// <summary>Pulls batches from <paramref name="source"/> into a new cache until <paramref name="maxRows"/> rows (or the source ends).</summary>
    public static ActivationCacheManifest Write(IActivationSource source, string folder, long maxRows, int shardRows = 65536,
        ScalarType dtype = ScalarType.Float32, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        using var writer = new ActivationCacheWriter(folder, source.Sites, source.Width, source.Info, shardRows, dtype);
        while (writer.Rows < maxRows)
        {
            using var batch = source.Next(cancellationToken);
            if (batch is null) break;
            var take = Math.Min(batch.Count, maxRows - writer.Rows);
            if (take == batch.Count) writer.Append(batch);
            else using (var part = batch.Slice(0, take)) writer.Append(part);
        }
        return writer.Complete();
    }

    /// <summary>Reads and validates a cache's manifest.</summary>
    public static ActivationCacheManifest ReadManifest(string folder)
    {
        var path = Path.Combine(folder, ManifestFileName);
        if (!File.Exists(path)) throw new ActivationCacheException($"no activation cache manifest at {path}");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ActivationCacheException($"{path}: not valid JSON ({e.Message})", e);
        }
        try
        {
            if (root?["format"]?.GetValue<string>() != FormatName) throw new ActivationCacheException($"{path}: not an activation cache manifest (format must be '{FormatName}')");
            var version = root["version"]?.GetValue<int>() ?? 0;
            if (version != 1) throw new ActivationCacheException($"{path}: unsupported manifest version {version}");
            var width = root["d_in"]?.GetValue<int>() ?? throw new ActivationCacheException($"{path}: missing d_in");
            var sites = (root["sites"] as JsonArray ?? throw new ActivationCacheException($"{path}: missing sites"))
                .Select(n => ActivationNames.ParseKey(n!.GetValue<string>())).ToList();
            var shards = (root["shards"] as JsonArray ?? throw new ActivationCacheException($"{path}: missing shards"))
                .Select(n => new ActivationCacheShard(n!["file"]!.GetValue<string>(), n["rows"]!.GetValue<long>())).ToList();
            foreach (var s in shards)
                if (s.File.Contains('/') || s.File.Contains('\\') || s.File.Contains("..") || s.Rows < 1)
                    throw new ActivationCacheException($"{path}: invalid shard entry '{s.File}' ({s.Rows} rows)");
            var meta = root["metadata"];
            var info = new ActivationSourceInfo
            {
                ModelName = meta?["model_name"]?.GetValue<string>(),
                PositionPolicy = meta?["position_policy"]?.GetValue<string>() is { } p ? ActivationNames.ParsePositionPolicy(p) : null,
                MaskRateMin = meta?["t_min"]?.GetValue<double>(),
                MaskRateMax = meta?["t_max"]?.GetValue<double>(),
                ContextSize = meta?["context_size"]?.GetValue<int>(),
            };
            var dtype = root["dtype"]?.GetValue<string>() ?? "float32";
            return new ActivationCacheManifest(folder, width, sites, shards, info, dtype);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            throw new ActivationCacheException($"{path}: malformed manifest ({e.Message})", e);
        }
    }

    internal static void WriteManifest(string folder, int width, IReadOnlyList<ResidualSite> sites, IReadOnlyList<ActivationCacheShard> shards,
        ActivationSourceInfo info, ScalarType dtype)
    {
        var root = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = 1,
            ["d_in"] = width,
            ["dtype"] = dtype == ScalarType.BFloat16 ? "bfloat16" : "float32",
            ["sites"] = new JsonArray(sites.Select(s => (JsonNode)JsonValue.Create(s.Key())!).ToArray()),
            ["rows"] = shards.Sum(s => s.Rows),
            ["shards"] = new JsonArray(shards.Select(s => (JsonNode)new JsonObject { ["file"] = s.File, ["rows"] = s.Rows }).ToArray()),
            ["metadata"] = new JsonObject
            {
                ["model_name"] = info.ModelName,
                ["position_policy"] = info.PositionPolicy?.ToMetadataName(),
                ["t_min"] = info.MaskRateMin,
                ["t_max"] = info.MaskRateMax,
                ["context_size"] = info.ContextSize,
            },
        };
        var path = Path.Combine(folder, ManifestFileName);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>A cache that is missing, malformed, or inconsistent with its shards.</summary>
public sealed class ActivationCacheException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ActivationCacheException(string message) : base(message) { }
    /// <summary>Creates the exception with its cause.</summary>
    public ActivationCacheException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>One shard: file name (in the cache folder) and rows.</summary>
public sealed record ActivationCacheShard(string File, long Rows);

/// <summary>A cache's manifest.</summary>
public sealed record ActivationCacheManifest(string Folder, int Width, IReadOnlyList<ResidualSite> Sites,
    IReadOnlyList<ActivationCacheShard> Shards, ActivationSourceInfo Info, string DType)
{
    /// <summary>Total rows.</summary>
    public long Rows => Shards.Sum(s => s.Rows);
}

/// <summary>Appends activation batches to a cache folder, one shard per <see cref="ShardRows"/> rows.</summary>
public sealed class ActivationCacheWriter : IDisposable
{
    private readonly List<ActivationBatch> _pending = new();
    private readonly List<ActivationCacheShard> _shards = new();
    private readonly ScalarType _dtype;
    private long _pendingRows;
    private bool _completed;

    /// <summary>Creates (or overwrites) a cache in <paramref name="folder"/>.</summary>
    public ActivationCacheWriter(string folder, IReadOnlyList<ResidualSite> sites, int width, ActivationSourceInfo? info = null,
        int shardRows = 65536, ScalarType dtype = ScalarType.Float32)
    {
        if (sites.Count == 0) throw new ArgumentException("give at least one site", nameof(sites));
        ArgumentOutOfRangeException.ThrowIfLessThan(shardRows, 1);
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16)) throw new ArgumentException($"cache dtype must be float32 or bfloat16, got {dtype}", nameof(dtype));
        Folder = folder;
        Sites = sites.OrderBy(s => s.Layer).ThenBy(s => s.Point).ToList();
        Width = width;
        Info = info ?? new ActivationSourceInfo();
        ShardRows = shardRows;
        _dtype = dtype;
        Directory.CreateDirectory(folder);
        foreach (var old in Directory.GetFiles(folder, "shard-*.safetensors")) File.Delete(old);
        ActivationCache.WriteManifest(Folder, Width, Sites, _shards, Info, _dtype);
    }

    /// <summary>The cache folder.</summary>
    public string Folder { get; }
    /// <summary>Sites stored.</summary>
    public IReadOnlyList<ResidualSite> Sites { get; }
    /// <summary>Activation width.</summary>
    public int Width { get; }
    /// <summary>Provenance written to the manifest.</summary>
    public ActivationSourceInfo Info { get; }
    /// <summary>Rows per shard.</summary>
    public int ShardRows { get; }
    /// <summary>Rows appended so far.</summary>
    public long Rows => _shards.Sum(s => s.Rows) + _pendingRows;

    /// <summary>Appends a batch (copied; the caller keeps ownership).</summary>
    public void Append(ActivationBatch batch)
    {
        if (_completed) throw new InvalidOperationException("the cache was completed");
        if (!batch.Sites.SequenceEqual(Sites)) throw new ArgumentException("the batch has other sites than the cache");
        if (batch.Width != Width) throw new ArgumentException($"the batch has width {batch.Width}, the cache {Width}");
        _pending.Add(batch.Slice(0, batch.Count));
        _pendingRows += batch.Count;
        while (_pendingRows >= ShardRows) Flush(ShardRows);
    }

    private void Flush(long rows)
    {
        using var all = ActivationBatch.Concat(_pending);
        foreach (var b in _pending) b.Dispose();
        _pending.Clear();
        _pendingRows = 0;
        using (var shard = all.Slice(0, rows))
        {
            var name = $"shard-{_shards.Count:D5}.safetensors";
            using var scope = NewDisposeScope();
            var tensors = new Dictionary<string, Tensor>();
            foreach (var (site, t) in shard.Activations) tensors[site.Key()] = t.to(_dtype);
            tensors["mask_rate"] = shard.MaskRate;
            tensors["masked"] = shard.Masked;
            SafetensorsTorch.Save(Path.Combine(Folder, name), tensors);
            _shards.Add(new ActivationCacheShard(name, rows));
            ActivationCache.WriteManifest(Folder, Width, Sites, _shards, Info, _dtype);
        }
        if (all.Count > rows)
        {
            _pending.Add(all.Slice(rows, all.Count - rows));
            _pendingRows = all.Count - rows;
        }
    }

    /// <summary>Writes the last partial shard and returns the manifest.</summary>
    public ActivationCacheManifest Complete()
    {
        if (!_completed)
        {
            if (_pendingRows > 0) Flush(_pendingRows);
            _completed = true;
        }
        return ActivationCache.ReadManifest(Folder);
    }

    /// <summary>Completes the cache (writing any pending rows).</summary>
    public void Dispose()
    {
        if (!_completed) Complete();
        foreach (var b in _pending) b.Dispose();
        _pending.Clear();
    }
}

/// <summary>
/// Replays an activation cache without the model: shards in order, <see cref="RowsPerBatch"/> rows at a time,
/// optionally cycling. Its state is (shard, row, epoch).
/// </summary>
public sealed class CachedActivationSource : IActivationSource
{
    private readonly ActivationCacheManifest _manifest;
    private ActivationBatch? _shard;
    private int _shardIndex;
    private long _row;
    private long _epoch;

    /// <summary>Opens the cache in <paramref name="folder"/>.</summary>
    public CachedActivationSource(string folder, int rowsPerBatch = 4096, bool repeat = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerBatch, 1);
        _manifest = ActivationCache.ReadManifest(folder);
        if (_manifest.Shards.Count == 0) throw new ActivationCacheException($"{folder}: the cache holds no shards");
        foreach (var s in _manifest.Shards)
            if (!File.Exists(Path.Combine(folder, s.File))) throw new ActivationCacheException($"{folder}: shard {s.File} listed in the manifest is missing");
        RowsPerBatch = rowsPerBatch;
        Repeat = repeat;
    }

    /// <summary>The manifest.</summary>
    public ActivationCacheManifest Manifest => _manifest;
    /// <summary>Rows per batch served.</summary>
    public int RowsPerBatch { get; }
    /// <summary>Start again after the last shard.</summary>
    public bool Repeat { get; }
    /// <summary>Completed passes.</summary>
    public long Epoch => _epoch;

    /// <inheritdoc />
    public IReadOnlyList<ResidualSite> Sites => _manifest.Sites;
    /// <inheritdoc />
    public int Width => _manifest.Width;
    /// <inheritdoc />
    public ActivationSourceInfo Info => _manifest.Info;

    /// <inheritdoc />
    public ActivationBatch? Next(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_shardIndex >= _manifest.Shards.Count)
        {
            if (!Repeat) return null;
            _shardIndex = 0;
            _row = 0;
            _epoch++;
        }
        _shard ??= LoadShard(_shardIndex);
        var take = Math.Min(RowsPerBatch, _shard.Count - _row);
        var batch = _shard.Slice(_row, take);
        _row += take;
        if (_row >= _shard.Count)
        {
            _shard.Dispose();
            _shard = null;
            _shardIndex++;
            _row = 0;
        }
        return batch;
    }

    private ActivationBatch LoadShard(int index)
    {
        var entry = _manifest.Shards[index];
        var path = Path.Combine(_manifest.Folder, entry.File);
        Dictionary<string, Tensor> tensors;
        try
        {
            tensors = SafetensorsTorch.Load(path);
        }
        catch (Exception e) when (e is Torch.Safetensors.SafetensorsFormatException or IOException)
        {
            throw new ActivationCacheException($"{path}: cannot read the shard ({e.Message})", e);
        }
        try
        {
            using var scope = NewDisposeScope();
            Tensor Need(string key, long[] shape)
            {
                if (!tensors.TryGetValue(key, out var t)) throw new ActivationCacheException($"{path}: missing tensor '{key}'");
                if (!t.shape.SequenceEqual(shape))
                    throw new ActivationCacheException($"{path}: tensor '{key}' has shape [{string.Join(", ", t.shape)}], the manifest implies [{string.Join(", ", shape)}]");
                return t;
            }
            var activations = Sites.ToDictionary(s => s, s => Need(s.Key(), [entry.Rows, Width]).to(ScalarType.Float32, copy: true));
            var rate = Need("mask_rate", [entry.Rows]).to(ScalarType.Float32, copy: true);
            var masked = Need("masked", [entry.Rows]);
            if (masked.dtype != ScalarType.Bool) throw new ActivationCacheException($"{path}: 'masked' must be bool, got {masked.dtype}");
            return new ActivationBatch(activations, rate, masked.clone());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <inheritdoc />
    public Dictionary<string, Tensor> GetState() => new()
    {
        ["shard"] = SourceState.Scalar(_shardIndex),
        ["row"] = SourceState.Scalar(_row),
        ["epoch"] = SourceState.Scalar(_epoch),
    };

    /// <inheritdoc />
    public void SetState(IReadOnlyDictionary<string, Tensor> state)
    {
        var shard = SourceState.Long(state, "shard");
        var row = SourceState.Long(state, "row");
        if (shard < 0 || shard > _manifest.Shards.Count || (shard < _manifest.Shards.Count && (row < 0 || row >= _manifest.Shards[(int)shard].Rows)))
            throw new ArgumentException($"cache position (shard {shard}, row {row}) is outside the cache");
        _shard?.Dispose();
        _shard = null;
        _shardIndex = (int)shard;
        _row = row;
        _epoch = SourceState.Long(state, "epoch");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _shard?.Dispose();
        _shard = null;
    }
}
