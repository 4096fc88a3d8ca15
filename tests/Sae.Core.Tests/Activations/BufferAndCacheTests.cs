using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Activations;

/// <summary>The shuffling buffer serves every row once, mixes, refills at half and checkpoints exactly; the cache replays.</summary>
public class BufferAndCacheTests
{
    private static readonly ResidualSite SiteA = new(0, HookPoint.ResidPost);
    private static readonly ResidualSite SiteB = new(2, HookPoint.ResidMid);

    /// <summary>Rows whose activations encode their index: row i is [i, i, …] at site A and [−i, …] at site B.</summary>
    private static ActivationBatch Numbered(long rows, int width = 3)
    {
        using var scope = NewDisposeScope();
        var ids = arange(0, rows, ScalarType.Float32).unsqueeze(1).expand(rows, width).contiguous();
        return new ActivationBatch(new Dictionary<ResidualSite, Tensor> { [SiteA] = ids, [SiteB] = -ids },
            arange(0, rows, ScalarType.Float32) / rows, arange(0, rows, ScalarType.Int64).remainder(2).eq(0));
    }

    private static long[] RowIds(ActivationBatch batch) => batch[SiteA].select(1, 0).to(ScalarType.Int64).data<long>();

    [Fact]
    public void EveryRowIsServedOnceShuffledAndAligned()
    {
        using var scope = NewDisposeScope();
        using var source = new InMemoryActivationSource(Numbered(1000), rowsPerBatch: 70);
        using var buffer = new ActivationBuffer(source, capacity: 200, seed: 4);
        var served = new List<long>();
        while (buffer.Next(50) is { } batch)
            using (batch)
            {
                Assert.True(batch[SiteB].equal(-batch[SiteA]), "sites were shuffled differently");
                var ids = RowIds(batch);
                var rates = batch.MaskRate.data<float>();
                for (var i = 0; i < ids.Length; i++) Assert.Equal(ids[i] / 1000f, rates[i], 6);
                served.AddRange(ids);
            }
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), served.OrderBy(i => i));
        Assert.NotEqual(Enumerable.Range(0, 1000).Select(i => (long)i), served);
        // Refilled each time half of the 200 rows had been read, not after every batch.
        Assert.InRange(buffer.Refills, 8, 12);
    }

    [Fact]
    public void TheSameSeedGivesTheSameStreamAndTheStateResumesIt()
    {
        using var scope = NewDisposeScope();
        List<long> Stream(int batches)
        {
            using var source = new InMemoryActivationSource(Numbered(500), rowsPerBatch: 33, repeat: true);
            using var buffer = new ActivationBuffer(source, capacity: 128, seed: 9);
            var ids = new List<long>();
            for (var i = 0; i < batches; i++)
            {
                using var b = buffer.Next(40)!;
                ids.AddRange(RowIds(b));
            }
            return ids;
        }
        var reference = Stream(30);
        Assert.Equal(reference, Stream(30));

        // Save the state after 13 batches, continue in a fresh buffer and source.
        Dictionary<string, Tensor>? saved = null;
        var head = reference.Take(13 * 40).ToList();
        using (var source = new InMemoryActivationSource(Numbered(500), rowsPerBatch: 33, repeat: true))
        using (var buffer = new ActivationBuffer(source, capacity: 128, seed: 9))
        {
            for (var i = 0; i < 13; i++) buffer.Next(40)!.Dispose();
            saved = buffer.GetState();
        }
        using (var source = new InMemoryActivationSource(Numbered(500), rowsPerBatch: 33, repeat: true))
        using (var buffer = new ActivationBuffer(source, capacity: 128, seed: 12345))
        {
            buffer.SetState(saved);
            var tail = new List<long>();
            for (var i = 13; i < 30; i++)
                using (var b = buffer.Next(40)!) tail.AddRange(RowIds(b));
            Assert.Equal(reference, head.Concat(tail));
        }
        foreach (var t in saved.Values) t.Dispose();
    }

    [Fact]
    public void TheCacheReplaysTheSourceWithoutTheModel()
    {
        using var scope = NewDisposeScope();
        var folder = Path.Combine(Path.GetTempPath(), "act-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var info = new ActivationSourceInfo { ModelName = "m", PositionPolicy = PositionPolicy.Unmasked, MaskRateMin = 0.1, MaskRateMax = 0.4 };
            using (var source = new InMemoryActivationSource(Numbered(250), rowsPerBatch: 40, info: info))
            {
                var manifest = ActivationCache.Write(source, folder, maxRows: 230, shardRows: 100);
                Assert.Equal(230, manifest.Rows);
                Assert.Equal([100L, 100L, 30L], manifest.Shards.Select(s => s.Rows));
                Assert.Equal(PositionPolicy.Unmasked, manifest.Info.PositionPolicy);
                Assert.Equal([SiteA, SiteB], manifest.Sites);
            }
            using var cached = new CachedActivationSource(folder, rowsPerBatch: 64);
            var ids = new List<long>();
            Dictionary<string, Tensor>? state = null;
            var afterState = new List<long>();
            var batches = 0;
            while (cached.Next() is { } b)
                using (b)
                {
                    Assert.True(b[SiteB].equal(-b[SiteA]));
                    ids.AddRange(RowIds(b));
                    if (state is not null) afterState.AddRange(RowIds(b));
                    if (++batches == 3) state = cached.GetState();   // mid-way through shard 1
                }
            Assert.Equal(3 + 2, batches);
            Assert.Equal(Enumerable.Range(0, 230).Select(i => (long)i), ids);
            using var replay = new CachedActivationSource(folder, rowsPerBatch: 64);
            replay.SetState(state!);
            var replayed = new List<long>();
            while (replay.Next() is { } b) using (b) replayed.AddRange(RowIds(b));
            Assert.Equal(afterState, replayed);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void MalformedCachesAreRejectedClearly()
    {
        using var scope = NewDisposeScope();
        var folder = Path.Combine(Path.GetTempPath(), "act-cache-bad-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Contains("no activation cache manifest", Assert.Throws<ActivationCacheException>(() => new CachedActivationSource(folder)).Message);
            using (var source = new InMemoryActivationSource(Numbered(120), rowsPerBatch: 40))
                ActivationCache.Write(source, folder, maxRows: 120, shardRows: 60);

            // A shard with a wrong shape.
            var shard = Path.Combine(folder, "shard-00001.safetensors");
            SafetensorsTorch.Save(shard, new Dictionary<string, Tensor>
            {
                [SiteA.Key()] = zeros(60, 4), [SiteB.Key()] = zeros(60, 3), ["mask_rate"] = zeros(60), ["masked"] = zeros([60], ScalarType.Bool),
            });
            using (var source = new CachedActivationSource(folder, rowsPerBatch: 60))
            {
                source.Next()!.Dispose();
                var error = Assert.Throws<ActivationCacheException>(() => source.Next());
                Assert.Contains("L0.resid_post", error.Message);
                Assert.Contains("[60, 4]", error.Message);
            }
            // A missing shard.
            File.Delete(shard);
            Assert.Contains("missing", Assert.Throws<ActivationCacheException>(() => new CachedActivationSource(folder)).Message);
            // A broken manifest.
            File.WriteAllText(Path.Combine(folder, ActivationCache.ManifestFileName), "{\"format\": \"something-else\"}");
            Assert.Contains("not an activation cache", Assert.Throws<ActivationCacheException>(() => new CachedActivationSource(folder)).Message);
            File.WriteAllText(Path.Combine(folder, ActivationCache.ManifestFileName), "{ not json");
            Assert.Contains("not valid JSON", Assert.Throws<ActivationCacheException>(() => new CachedActivationSource(folder)).Message);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }
}
