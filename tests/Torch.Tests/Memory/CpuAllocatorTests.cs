using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Memory;

/// <summary>The caching CPU allocator is process-wide: these tests run alone.</summary>
[Collection(SerialCollection.Name)]
public class CpuAllocatorTests
{
    private const long OneMiB = 1 << 20;

    [Fact]
    public void IsInstalledByDefault()
    {
        var stats = cpu.memory_stats();
        Assert.True(stats.Enabled);
        Assert.True(stats.CacheLimitBytes > 0);
    }

    [Fact]
    public void FreedLargeBlockIsReusedForTheNextTensorOfItsSize()
    {
        using var scope = NewDisposeScope();
        cpu.empty_cache();
        // 3 MiB + 4 bytes: rounded up to a 4 MiB block.
        const int count = (int)(3 * OneMiB / 4) + 1;
        var before = cpu.memory_stats();
        using (var first = zeros(count)) Assert.Equal(0f, first.sum().item<float>());
        var afterFirst = cpu.memory_stats();
        Assert.Equal(before.CacheMisses + 1, afterFirst.CacheMisses);
        Assert.Equal(4 * OneMiB, afterFirst.CachedBytes);

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
        var a = arange(600_000, dtype: ScalarType.Float32);   // 2.4 MB
        for (var i = 0; i < 5; i++)
        {
            using var b = a * 2;
            using var c = b + 1;
            Assert.Equal(2 * 599_999 + 1, c[599_999].item<float>());
            Assert.Equal(1f, c[0].item<float>());
        }
    }
}
