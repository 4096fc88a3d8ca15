using System.Runtime.InteropServices;

namespace DiffusionSteering.Torch.Native;

/// <summary>Tagged value kinds of the C ABI (must match <c>dst_kind</c> in native/dstorch.h).</summary>
internal enum ValueKind : int
{
    None = 0, Tensor = 1, Int = 2, Double = 3, Bool = 4, IntList = 5, DoubleList = 6, TensorList = 7,
    OptionalTensorList = 8, String = 9, Device = 10, Generator = 11, Default = 12, BoolList = 13,
}

/// <summary>One tagged argument or result (<c>dst_value</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DstValue
{
    public ValueKind Kind;
    public int Reserved;
    public long I;
    public double D;
    public IntPtr Ptr;
    public long Len;
}

/// <summary><c>dst_cpu_allocator_stats</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CpuAllocatorStatsNative
{
    public int Enabled;
    public int Reserved;
    public long MappedBytes;
    public long CachedBytes;
    public long CacheLimitBytes;
    public long CacheHits;
    public long CacheMisses;
}

/// <summary>P/Invoke declarations of libdstorch (native/dstorch.h). Every int return is 0 on success.</summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = "dstorch";

    [LibraryImport(Lib)] internal static partial IntPtr dst_last_error();
    [LibraryImport(Lib)] internal static partial long dst_live_tensors();
    [LibraryImport(Lib)] internal static partial IntPtr dst_version();
    [LibraryImport(Lib)] internal static partial int dst_cpu_allocator_get_stats(out CpuAllocatorStatsNative stats);
    [LibraryImport(Lib)] internal static partial void dst_cpu_allocator_empty_cache();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int dst_find_op(string name, string overload, out IntPtr op);
    [LibraryImport(Lib)] internal static partial int dst_op_schema(IntPtr op, byte* buffer, long capacity, out long length);
    [LibraryImport(Lib)]
    internal static partial int dst_call(IntPtr op, DstValue* args, int nargs, DstValue* results, int capacity, out int nresults);
    [LibraryImport(Lib)] internal static partial void dst_free_array(IntPtr array);

    [LibraryImport(Lib)] internal static partial void dst_free(IntPtr tensor);
    [LibraryImport(Lib)] internal static partial int dst_clone_handle(IntPtr tensor, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int dst_info(IntPtr tensor, out long ndim, out int dtype, out int deviceType, out int deviceIndex,
        out long numel, out int requiresGrad, out int isLeaf);
    [LibraryImport(Lib)] internal static partial int dst_sizes(IntPtr tensor, long* sizes, long capacity);
    [LibraryImport(Lib)] internal static partial int dst_strides(IntPtr tensor, long* strides, long capacity);
    [LibraryImport(Lib)] internal static partial int dst_data_ptr(IntPtr tensor, out IntPtr data);
    [LibraryImport(Lib)] internal static partial int dst_storage_offset(IntPtr tensor, out long offset);
    [LibraryImport(Lib)]
    internal static partial int dst_from_blob(IntPtr data, long* sizes, int ndim, long* strides, int dtype,
        delegate* unmanaged<IntPtr, void> deleter, IntPtr context, out IntPtr result);
    [LibraryImport(Lib)]
    internal static partial int dst_from_data(void* data, long nbytes, long* sizes, int ndim, int dtype, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int dst_copy_out(IntPtr tensor, void* destination, long nbytes);

    [LibraryImport(Lib)] internal static partial int dst_backward(IntPtr tensor, IntPtr gradient, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int dst_grad(IntPtr tensor, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int dst_set_grad(IntPtr tensor, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int dst_set_requires_grad(IntPtr tensor, int requiresGrad);
    [LibraryImport(Lib)] internal static partial int dst_retain_grad(IntPtr tensor);
    [LibraryImport(Lib)] internal static partial int dst_set_grad_enabled(int enabled, out int previous);

    [LibraryImport(Lib)]
    internal static partial int dst_autocast_enter(int deviceType, int enabled, int dtype, out int prevEnabled, out int prevDtype);
    [LibraryImport(Lib)] internal static partial int dst_autocast_exit(int deviceType, int prevEnabled, int prevDtype);
    [LibraryImport(Lib)] internal static partial int dst_autocast_state(int deviceType, out int enabled, out int dtype);

    [LibraryImport(Lib)] internal static partial int dst_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int dst_get_num_threads(out int n);
    [LibraryImport(Lib)] internal static partial int dst_cuda_device_count(out int count);
    [LibraryImport(Lib)] internal static partial int dst_cuda_synchronize(int deviceIndex);

    [LibraryImport(Lib)] internal static partial int dst_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int dst_generator_new(int deviceType, int deviceIndex, ulong seed, out IntPtr generator);
    [LibraryImport(Lib)] internal static partial void dst_generator_free(IntPtr generator);
    [LibraryImport(Lib)] internal static partial int dst_generator_seed(IntPtr generator, ulong seed);
    [LibraryImport(Lib)] internal static partial int dst_generator_initial_seed(IntPtr generator, out ulong seed);
    [LibraryImport(Lib)] internal static partial int dst_generator_get_state(IntPtr generator, out IntPtr state);
    [LibraryImport(Lib)] internal static partial int dst_generator_set_state(IntPtr generator, IntPtr state);

    /// <summary>Throws <see cref="TorchException"/> with libtorch's message when a call failed.</summary>
    internal static void Check(int rc)
    {
        if (rc != 0) throw new TorchException(Marshal.PtrToStringUTF8(dst_last_error()) ?? "unknown libtorch error");
    }
}
