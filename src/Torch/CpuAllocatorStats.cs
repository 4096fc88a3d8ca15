namespace DiffusionSteering.Torch;

/// <summary>Counters of the caching CPU allocator (<see cref="torch.cpu.memory_stats"/>).</summary>
/// <param name="Enabled">False when <c>DSTORCH_CPU_ALLOCATOR=system</c> kept libtorch's default allocator.</param>
/// <param name="MappedBytes">Bytes of large blocks mapped now, in use or cached.</param>
/// <param name="CachedBytes">Bytes of free large blocks kept for reuse.</param>
/// <param name="CacheLimitBytes">The bound on <paramref name="CachedBytes"/>.</param>
/// <param name="CacheHits">Large allocations served from the cache.</param>
/// <param name="CacheMisses">Large allocations that mapped a new block.</param>
public readonly record struct CpuAllocatorStats(
    bool Enabled, long MappedBytes, long CachedBytes, long CacheLimitBytes, long CacheHits, long CacheMisses);
