using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch.Safetensors;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Single-file and sharded checkpoints; index/shard consistency errors (on copies in a temp folder).</summary>
public sealed class CheckpointTests : IDisposable
{
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";
    private static readonly string ShardedFolder = FixturePaths.Fixture("models", "llada-tiny-sharded");
    private static readonly string SingleFile = FixturePaths.Fixture("models", "llada-tiny", "model.safetensors");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ShardedFixtureEqualsSingleFileTensorByTensor()
    {
        using var sharded = SafetensorsCheckpoint.Open(ShardedFolder);
        using var single = SafetensorsCheckpoint.Open(SingleFile);

        Assert.True(sharded.IsSharded);
        Assert.False(single.IsSharded);
        Assert.Equal(2, sharded.Shards.Count);
        Assert.Equal(Path.Combine(ShardedFolder, SafetensorsIndex.DefaultFileName), sharded.Path);
        Assert.Equal(single.Tensors.Keys.Order(StringComparer.Ordinal), sharded.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var name in single.Tensors.Keys)
        {
            var a = single.GetInfo(name);
            var b = sharded.GetInfo(name);
            Assert.Equal(a.DType, b.DType);
            Assert.Equal(a.Shape, b.Shape);
            Assert.True(single.GetBytes(name).SequenceEqual(sharded.GetBytes(name)), $"bytes of '{name}' differ");
            Assert.Equal(single.ReadAsFloat32(name), sharded.Read<float>(name));
            Assert.Equal(sharded.GetShard(name).FilePath, b.FilePath);
        }
        Assert.Equal(single.Tensors.Values.Sum(t => t.ByteLength), sharded.Index!.TotalSize);
        Assert.Equal(sharded.Index.TotalSize.ToString(), sharded.Metadata["total_size"]);
    }

    [Fact]
    public void OpensByFolderIndexFileOrSingleFile()
    {
        using (var byIndex = SafetensorsCheckpoint.Open(Path.Combine(ShardedFolder, SafetensorsIndex.DefaultFileName)))
            Assert.True(byIndex.IsSharded);
        using (var byFolder = SafetensorsCheckpoint.Open(Path.GetDirectoryName(SingleFile)!))
        {
            Assert.False(byFolder.IsSharded);
            Assert.Equal(SingleFile, byFolder.Path);
        }
        using (var oneShard = SafetensorsCheckpoint.Open(Path.Combine(ShardedFolder, Shard1)))
        {
            Assert.Single(oneShard.Shards);
            Assert.Equal(oneShard.Shards[0].Metadata, oneShard.Metadata);
        }
        Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(_dir.File("absent")));
        Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(_dir.Path)); // empty folder
    }

    [Fact]
    public void MissingShardsAreNamed()
    {
        File.Copy(Path.Combine(ShardedFolder, SafetensorsIndex.DefaultFileName), _dir.File(SafetensorsIndex.DefaultFileName));
        var none = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(SafetensorsRule.MissingShard, none.Rule);
        Assert.Equal(_dir.File(Shard1), none.FileName);
        Assert.Contains(Shard1, none.Message);
        Assert.Contains(Shard2, none.Message);

        File.Copy(Path.Combine(ShardedFolder, Shard1), _dir.File(Shard1));
        var one = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(SafetensorsRule.MissingShard, one.Rule);
        Assert.Equal(_dir.File(Shard2), one.FileName);
        Assert.Contains($"'{Shard2}'", one.Message);
        Assert.DoesNotContain($"'{Shard1}'", one.Message);
    }

    [Fact]
    public void TensorListedButAbsentFromItsShard()
    {
        CopyShardsWithIndex(map => map["extra.weight"] = Shard1);
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(SafetensorsRule.TensorMissingFromShard, ex.Rule);
        Assert.Equal("extra.weight", ex.TensorName);
        Assert.Equal(_dir.File(Shard1), ex.FileName);
    }

    [Fact]
    public void TensorInAShardTheIndexDoesNotMapItTo()
    {
        string moved = "";
        CopyShardsWithIndex(map =>
        {
            moved = map.First(kv => kv.Value!.GetValue<string>() == Shard1).Key;
            map[moved] = Shard2;
        });
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(SafetensorsRule.TensorInUnexpectedShard, ex.Rule);
        Assert.Equal(moved, ex.TensorName);
        Assert.Equal(_dir.File(Shard1), ex.FileName);
        Assert.Contains(Shard2, ex.Message);
    }

    [Fact]
    public void TensorInAShardButNotInTheIndex()
    {
        string dropped = "";
        CopyShardsWithIndex(map =>
        {
            dropped = map.First().Key;
            map.Remove(dropped);
        });
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(SafetensorsRule.TensorInUnexpectedShard, ex.Rule);
        Assert.Equal(dropped, ex.TensorName);
    }

    [Theory]
    [InlineData("{\"metadata\":{}}")]
    [InlineData("{\"weight_map\":[]}")]
    [InlineData("{\"weight_map\":{\"a\":1}}")]
    [InlineData("{\"weight_map\":{\"a\":\"x.safetensors\",\"a\":\"y.safetensors\"}}")]
    [InlineData("{\"weight_map\":{\"a\":\"../x.safetensors\"}}")]
    [InlineData("{\"weight_map\":{\"a\":\"/abs/x.safetensors\"}}")]
    [InlineData("{\"weight_map\":{},\"weight_map\":{}}")]
    [InlineData("{\"weight_map\":{}")]
    [InlineData("[]")]
    public void MalformedIndex(string json)
    {
        var path = _dir.File("custom.safetensors.index.json");
        File.WriteAllText(path, json);
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(path));
        Assert.Equal(SafetensorsRule.InvalidIndex, ex.Rule);
        Assert.Equal(path, ex.FileName);
    }

    [Fact]
    public void ShardsWrittenByTheWriterOpenAsOneCheckpoint()
    {
        new SafetensorsWriter().Add("a", [2], new[] { 1f, 2f }).Add("b", [1], new[] { 3L }).Save(_dir.File("p1.safetensors"));
        new SafetensorsWriter().Add("c", [1], new[] { true }).Save(_dir.File("p2.safetensors"));
        File.WriteAllText(_dir.File("weights.safetensors.index.json"),
            "{\"metadata\":{\"total_size\":21,\"format\":\"pt\"},\"weight_map\":{\"a\":\"p1.safetensors\",\"b\":\"./p1.safetensors\",\"c\":\"p2.safetensors\"}}");

        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        Assert.Equal(["a", "b", "c"], checkpoint.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([1f, 2f], checkpoint.ReadAsFloat32("a"));
        Assert.Equal([3L], checkpoint.Read<long>("b"));
        Assert.Equal([true], checkpoint.Read<bool>("c"));
        Assert.Equal("pt", checkpoint.Metadata["format"]);
        Assert.Equal(21, checkpoint.Index!.TotalSize);

        var missing = Assert.Throws<KeyNotFoundException>(() => checkpoint.GetBytes("d"));
        Assert.Contains("'d'", missing.Message);
        Assert.Contains(checkpoint.Path, missing.Message);

        var lease = checkpoint.AcquireLease("c");
        checkpoint.Dispose();
        Assert.Throws<ObjectDisposedException>(() => checkpoint.Tensors);
        Assert.Throws<ObjectDisposedException>(() => checkpoint.GetBytes("a").Length);
        Assert.Equal([1], lease.GetBytes("c").ToArray());
        lease.Dispose();
    }

    [Fact]
    public void InvalidShardReportsTheShard()
    {
        CopyShardsWithIndex(_ => { });
        File.WriteAllBytes(_dir.File(Shard2), [1, 2, 3]);
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal(SafetensorsRule.FileTooShort, ex.Rule);
        Assert.Equal(_dir.File(Shard2), ex.FileName);
    }

    private void CopyShardsWithIndex(Action<JsonObject> editWeightMap)
    {
        foreach (var shard in new[] { Shard1, Shard2 })
        {
            File.Copy(Path.Combine(ShardedFolder, shard), _dir.File(shard));
            File.SetAttributes(_dir.File(shard), FileAttributes.Normal); // fixtures are read-only; the copies need not be
        }
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(ShardedFolder, SafetensorsIndex.DefaultFileName)))!.AsObject();
        editWeightMap(index["weight_map"]!.AsObject());
        File.WriteAllText(_dir.File(SafetensorsIndex.DefaultFileName), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
