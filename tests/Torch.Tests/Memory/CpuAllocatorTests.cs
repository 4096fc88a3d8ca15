using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Memory;

/// <summary>The caching CPU allocator is process-wide: these tests run alone.</summary>
[Collection(SerialCollection.Name)]
public class CpuAllocatorTests
{
    private const long OneMiB = 1 << 20;

    /// <summary>Frees tensors that earlier tests leaked to the finalizer, so that none is freed in the middle of a test.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>The environment can switch the allocator off or shrink its cache below what these tests use.</summary>
    private static bool CacheUsable =>
        Environment.GetEnvironmentVariable("DSTORCH_CPU_ALLOCATOR") != "system" &&
        !(int.TryParse(Environment.GetEnvironmentVariable("DSTORCH_CPU_CACHE_MB"), out var mb) && mb < 16);

    [Fact]
    public void IsInstalledByDefault()
    {
        if (!CacheUsable) return;
        var stats = cpu.memory_stats();
        Assert.True(stats.Enabled);
        Assert.True(stats.CacheLimitBytes > 0);
    }

    [Fact]
    public void FreedLargeBlockIsReusedForTheNextTensorOfItsSize()
    {
        if (!CacheUsable) return;
        Settle();
        using var scope = NewDisposeScope();
        cpu.empty_cache();
        // 3 MiB + 4 bytes: rounded up to a block of 3 MiB + 64 KiB.
        const int count = (int)(3 * OneMiB / 4) + 1;
        var before = cpu.memory_stats();
        using (var first = zeros(count)) Assert.Equal(0f, first.sum().item<float>());
        var afterFirst = cpu.memory_stats();
        Assert.Equal(before.CacheMisses + 1, afterFirst.CacheMisses);
        Assert.Equal(3 * OneMiB + 64 * 1024, afterFirst.CachedBytes);

        using (var second = full(new long[] { count }, 2f))
        {
            Assert.Equal(afterFirst.CacheHits + 1, cpu.memory_stats().CacheHits);
            Assert.Equal(0, cpu.memory_stats().CachedBytes);
            // Reused memory holds the new values, nothing of the old tensor.
            Assert.Equal(2.0 * count, second.sum(ScalarType.Float64).item<double>());
        }
        cpu.empty_cache();
        var emptied = cpu.memory_stats();
        Assert.Equal(0, emptied.CachedBytes);
        Assert.Equal(before.MappedBytes, emptied.MappedBytes);
    }

    [Fact]
    public void SmallTensorsBypassTheCache()
    {
        Settle();
        using var scope = NewDisposeScope();
        var before = cpu.memory_stats();
        using (var small = ones(1000)) Assert.Equal(1000f, small.sum().item<float>());
        var after = cpu.memory_stats();
        Assert.Equal(before.CacheHits + before.CacheMisses, after.CacheHits + after.CacheMisses);
    }

    [Fact]
    public void LargeTensorsComputeAsUsualAcrossReuse()
    {
        // A chain of large temporaries that reuse each other's blocks gives the values computed without reuse.
        using var scope = NewDisposeScope();
        var hits = cpu.memory_stats().CacheHits;
        var a = arange(600_000, dtype: ScalarType.Float32);   // 2.4 MB
        for (var i = 0; i < 5; i++)
        {
            using var b = a * 2;
            using var c = b + 1;
            Assert.Equal(2 * 599_999 + 1, c[599_999].item<float>());
            Assert.Equal(1f, c[0].item<float>());
        }
        if (CacheUsable) Assert.True(cpu.memory_stats().CacheHits > hits, "the chain never reused a cached block");
    }

    [Fact]
    public void AFullCacheUnmapsTheLeastRecentlyFreedBlocksFirst()
    {
        if (!CacheUsable) return;
        Settle();
        using var scope = NewDisposeScope();
        cpu.empty_cache();
        var limit = cpu.memory_stats().CacheLimitBytes;
        // Free blocks of one size until they fill the cache, then one block of another size: it must be kept, and
        // the oldest blocks make room for it.
        var blockBytes = limit / 4 / 65536 * 65536;
        var count = blockBytes / 4;
        var first = Enumerable.Range(0, 4).Select(_ => empty(new[] { count })).ToList();
        foreach (var t in first) t.Dispose();
        Assert.Equal(4 * blockBytes, cpu.memory_stats().CachedBytes);
        using (var other = empty(new[] { count + 100_000 })) { }
        var stats = cpu.memory_stats();
        Assert.True(stats.CachedBytes <= limit);
        using var reused = empty(new[] { count + 100_000 });
        Assert.Equal(stats.CacheHits + 1, cpu.memory_stats().CacheHits);
        cpu.empty_cache();
    }
}
