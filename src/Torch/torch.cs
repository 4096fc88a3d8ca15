using System.Runtime.InteropServices;
using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

/// <summary>
/// The tensor library, shaped like TorchSharp's <c>torch</c> class: <c>using static DiffusionSteering.Torch.torch;</c>
/// then <c>zeros(2, 3)</c>, <c>no_grad()</c>, <c>nn.Linear(…)</c>.
/// </summary>
public static partial class torch
{
    /// <summary>float32.</summary>
    public const ScalarType float32 = ScalarType.Float32;
    /// <summary>float64.</summary>
    public const ScalarType float64 = ScalarType.Float64;
    /// <summary>bfloat16.</summary>
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    /// <summary>float16.</summary>
    public const ScalarType float16 = ScalarType.Float16;
    /// <summary>int64.</summary>
    public const ScalarType int64 = ScalarType.Int64;
    /// <summary>int32.</summary>
    public const ScalarType int32 = ScalarType.Int32;
    /// <summary>int8.</summary>
    public const ScalarType int8 = ScalarType.Int8;
    /// <summary>uint8.</summary>
    public const ScalarType uint8 = ScalarType.Byte;
    /// <summary>bool.</summary>
    public const ScalarType @bool = ScalarType.Bool;

    /// <summary>The CPU device.</summary>
    public static readonly Device CPU = new(DeviceType.CPU);

    /// <summary>The meta device: tensors with shapes and dtypes but no storage.</summary>
    public static readonly Device META = new(DeviceType.Meta);

    /// <summary>The first CUDA device.</summary>
    public static readonly Device CUDA = new(DeviceType.CUDA, 0);

    /// <summary>The version of the libtorch this binding runs on.</summary>
    public static string __version__ => Marshal.PtrToStringUTF8(NativeMethods.dst_version()) ?? "unknown";

    /// <summary>Opens a dispose scope on this thread (see <see cref="DisposeScope"/>).</summary>
    public static DisposeScope NewDisposeScope() => DisposeScope.Open();

    /// <summary>Seeds the default CPU (and every CUDA) generator.</summary>
    public static void manual_seed(ulong seed) => NativeMethods.Check(NativeMethods.dst_manual_seed(seed));

    /// <summary>Sets the number of intra-op threads libtorch uses.</summary>
    public static void set_num_threads(int threads) => NativeMethods.Check(NativeMethods.dst_set_num_threads(threads));

    /// <summary>The number of intra-op threads libtorch uses.</summary>
    public static int get_num_threads()
    {
        NativeMethods.Check(NativeMethods.dst_get_num_threads(out var n));
        return n;
    }

    /// <summary>Disables gradient recording on this thread until the returned scope is disposed.</summary>
    public static IDisposable no_grad() => new GradModeScope(false);

    /// <summary>Enables gradient recording on this thread until the returned scope is disposed.</summary>
    public static IDisposable enable_grad() => new GradModeScope(true);

    /// <summary>Whether gradient recording is on for this thread.</summary>
    public static bool is_grad_enabled()
    {
        NativeMethods.Check(NativeMethods.dst_set_grad_enabled(1, out var previous));
        NativeMethods.Check(NativeMethods.dst_set_grad_enabled(previous, out _));
        return previous != 0;
    }

    /// <summary>
    /// Automatic mixed precision on this thread until disposed: eligible ops (matmul, linear, bmm, …) run in
    /// <paramref name="dtype"/> (bfloat16 by default), as <c>torch.autocast(device_type, dtype)</c>.
    /// </summary>
    public static IDisposable autocast(DeviceType device_type = DeviceType.CPU, ScalarType dtype = ScalarType.BFloat16, bool enabled = true) =>
        new AutocastScope(device_type, dtype, enabled);

    /// <summary>Whether autocast is on for <paramref name="device_type"/> on this thread (torch 2.4's <c>is_autocast_enabled(device_type)</c>).</summary>
    public static bool is_autocast_enabled(DeviceType device_type = DeviceType.CPU)
    {
        NativeMethods.Check(NativeMethods.dst_autocast_state(AutocastDeviceCode(device_type), out var enabled, out _));
        return enabled != 0;
    }

    /// <summary>The dtype autocast runs eligible ops in for <paramref name="device_type"/> on this thread (<c>get_autocast_dtype</c>).</summary>
    public static ScalarType get_autocast_dtype(DeviceType device_type = DeviceType.CPU)
    {
        NativeMethods.Check(NativeMethods.dst_autocast_state(AutocastDeviceCode(device_type), out _, out var dtype));
        return (ScalarType)dtype;
    }

    private static int AutocastDeviceCode(DeviceType device_type) => device_type switch
    {
        DeviceType.CPU => 0,
        DeviceType.CUDA => 1,
        _ => throw new ArgumentException($"autocast has no state for device type {device_type}", nameof(device_type)),
    };

    /// <summary>
    /// The CPU allocator. This library installs, for the whole process, an allocator that serves every tensor of at
    /// least 1 MiB from 2 MiB-aligned blocks advised as transparent huge pages and keeps freed blocks in a bounded cache
    /// for the next tensor of that size: repeated forward passes then touch no fresh pages (each fresh page costs a
    /// fault and zeroing; see docs/performance.md). Smaller tensors use libtorch's default allocator. Set the
    /// environment variable <c>DSTORCH_CPU_ALLOCATOR=system</c> before start to keep libtorch's allocator, and
    /// <c>DSTORCH_CPU_CACHE_MB</c> to bound the cache (default: 1/8 of physical memory, at most 2048 MiB).
    /// </summary>
    public static class cpu
    {
        /// <summary>Counters of the CPU allocator's large-block path (all zero when it is not installed).</summary>
        public static CpuAllocatorStats memory_stats()
        {
            NativeMethods.Check(NativeMethods.dst_cpu_allocator_get_stats(out var s));
            return new CpuAllocatorStats(s.Enabled != 0, s.MappedBytes, s.CachedBytes, s.CacheLimitBytes, s.CacheHits, s.CacheMisses);
        }

        /// <summary>Returns every cached (free) block to the operating system, as <c>torch.cuda.empty_cache()</c> does for GPU memory.</summary>
        public static void empty_cache() => NativeMethods.dst_cpu_allocator_empty_cache();
    }

    /// <summary>CUDA queries.</summary>
    public static class cuda
    {
        /// <summary>True when libtorch was built with CUDA and a GPU is visible.</summary>
        public static bool is_available() => device_count() > 0;

        /// <summary>Number of visible CUDA devices (0 with a CPU-only libtorch).</summary>
        public static int device_count()
        {
            NativeMethods.Check(NativeMethods.dst_cuda_device_count(out var n));
            return n;
        }

        /// <summary>Waits for all work on a CUDA device (−1: current).</summary>
        public static void synchronize(int device = -1) => NativeMethods.Check(NativeMethods.dst_cuda_synchronize(device));
    }

    private sealed class GradModeScope : IDisposable
    {
        private readonly int _previous;
        private bool _disposed;

        public GradModeScope(bool enabled) => NativeMethods.Check(NativeMethods.dst_set_grad_enabled(enabled ? 1 : 0, out _previous));

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            NativeMethods.Check(NativeMethods.dst_set_grad_enabled(_previous, out _));
        }
    }

    private sealed class AutocastScope : IDisposable
    {
        private readonly DeviceType _device;
        private readonly int _previousEnabled;
        private readonly int _previousDtype;
        private bool _disposed;

        public AutocastScope(DeviceType device, ScalarType dtype, bool enabled)
        {
            _device = device;
            NativeMethods.Check(NativeMethods.dst_autocast_enter((int)device, enabled ? 1 : 0, (int)dtype, out _previousEnabled, out _previousDtype));
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            NativeMethods.Check(NativeMethods.dst_autocast_exit((int)_device, _previousEnabled, _previousDtype));
        }
    }
}
