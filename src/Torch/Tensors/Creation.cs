using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    // Factory ops share the tail (dtype, layout, device, pin_memory); layout and pin_memory stay at their defaults.
    private static void FactoryTail(ref OpCall c, ScalarType? dtype, Device? device)
    {
        c.OptionalDType(dtype); c.None(); c.OptionalDevice(device); c.None();
    }

    private static Tensor WithGrad(Tensor t, bool requires_grad) => requires_grad ? t.requires_grad_() : t;

    private static void CheckSize(long[] size)
    {
        foreach (var s in size)
            if (s < 0) throw new ArgumentException($"negative dimension {s} in size {Tensor.ShapeString(size)}", nameof(size));
    }

    /// <summary>A tensor of zeros.</summary>
    public static Tensor zeros(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        CheckSize(size);
        var c = new OpCall(Aten.zeros);
        c.IntList(size); FactoryTail(ref c, dtype, device);
        return WithGrad(c.ToTensor(), requires_grad);
    }

    /// <summary>A float32 CPU tensor of zeros.</summary>
    public static Tensor zeros(params long[] size) => zeros(size, null, null);

    /// <summary>A tensor of ones.</summary>
    public static Tensor ones(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        CheckSize(size);
        var c = new OpCall(Aten.ones);
        c.IntList(size); FactoryTail(ref c, dtype, device);
        return WithGrad(c.ToTensor(), requires_grad);
    }

    /// <summary>A float32 CPU tensor of ones.</summary>
    public static Tensor ones(params long[] size) => ones(size, null, null);

    /// <summary>A tensor filled with one value (dtype inferred from the value when null).</summary>
    public static Tensor full(long[] size, Scalar value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        CheckSize(size);
        var c = new OpCall(Aten.full);
        c.IntList(size); c.Scalar(value); FactoryTail(ref c, dtype, device);
        return WithGrad(c.ToTensor(), requires_grad);
    }

    /// <summary>An uninitialised tensor.</summary>
    public static Tensor empty(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        CheckSize(size);
        var c = new OpCall(Aten.empty_memory_format);
        c.IntList(size); FactoryTail(ref c, dtype, device);
        return WithGrad(c.ToTensor(), requires_grad);
    }

    /// <summary>Values start, start+step, … below stop (int64 for integer arguments, else the default float dtype).</summary>
    public static Tensor arange(Scalar start, Scalar stop, Scalar step, ScalarType? dtype = null, Device? device = null)
    {
        var c = new OpCall(Aten.arange_start_step);
        c.Scalar(start); c.Scalar(stop); c.Scalar(step); FactoryTail(ref c, dtype, device);
        return c.ToTensor();
    }

    /// <summary>Values 0, 1, … below stop.</summary>
    public static Tensor arange(Scalar stop, ScalarType? dtype = null, Device? device = null) => arange(0, stop, 1, dtype, device);

    /// <summary>Values start, start+1, … below stop.</summary>
    public static Tensor arange(Scalar start, Scalar stop, ScalarType? dtype = null, Device? device = null) => arange(start, stop, 1, dtype, device);

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive.</summary>
    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null, Device? device = null)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be non-negative");
        var c = new OpCall(Aten.linspace);
        c.Double(start); c.Double(end); c.Int(steps); FactoryTail(ref c, dtype, device);
        return c.ToTensor();
    }

    /// <summary>The n×n identity matrix.</summary>
    public static Tensor eye(long n, ScalarType? dtype = null, Device? device = null)
    {
        var c = new OpCall(Aten.eye);
        c.Int(n); FactoryTail(ref c, dtype, device);
        return c.ToTensor();
    }

    /// <summary>U[0, 1) draws (from <paramref name="generator"/>, or the default generator when null).</summary>
    public static Tensor rand(long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null, bool requires_grad = false)
    {
        CheckSize(size);
        var c = new OpCall(Aten.rand_generator);
        c.IntList(size); c.Generator(generator); FactoryTail(ref c, dtype, device);
        return WithGrad(c.ToTensor(), requires_grad);
    }

    /// <summary>U[0, 1) float32 draws from the default generator.</summary>
    public static Tensor rand(params long[] size) => rand(size, null, null, null);

    /// <summary>N(0, 1) draws.</summary>
    public static Tensor randn(long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null, bool requires_grad = false)
    {
        CheckSize(size);
        var c = new OpCall(Aten.randn_generator);
        c.IntList(size); c.Generator(generator); FactoryTail(ref c, dtype, device);
        return WithGrad(c.ToTensor(), requires_grad);
    }

    /// <summary>N(0, 1) float32 draws from the default generator.</summary>
    public static Tensor randn(params long[] size) => randn(size, null, null, null);

    /// <summary>Integers uniform in [low, high) (int64 unless dtype says otherwise).</summary>
    public static Tensor randint(long low, long high, long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null)
    {
        CheckSize(size);
        if (high <= low) throw new ArgumentException($"randint: high ({high}) must exceed low ({low})");
        var c = new OpCall(Aten.randint_low_generator);
        c.Int(low); c.Int(high); c.IntList(size); c.Generator(generator);
        c.DType(dtype ?? ScalarType.Int64); c.None(); c.OptionalDevice(device); c.None();
        return c.ToTensor();
    }

    /// <summary>Integers uniform in [0, high).</summary>
    public static Tensor randint(long high, long[] size, ScalarType? dtype = null, Device? device = null, Generator? generator = null) =>
        randint(0, high, size, dtype, device, generator);

    private static Tensor Like(OpHandle op, Tensor input, ScalarType? dtype, Device? device)
    {
        var c = new OpCall(op);
        c.Tensor(input); FactoryTail(ref c, dtype, device);
        return c.ToTensor();
    }

    /// <summary>Zeros shaped like <paramref name="input"/>.</summary>
    public static Tensor zeros_like(Tensor input, ScalarType? dtype = null, Device? device = null) => Like(Aten.zeros_like, input, dtype, device);
    /// <summary>Ones shaped like <paramref name="input"/>.</summary>
    public static Tensor ones_like(Tensor input, ScalarType? dtype = null, Device? device = null) => Like(Aten.ones_like, input, dtype, device);
    /// <summary>Uninitialised, shaped like <paramref name="input"/>.</summary>
    public static Tensor empty_like(Tensor input, ScalarType? dtype = null, Device? device = null) => Like(Aten.empty_like, input, dtype, device);
    /// <summary>U[0,1) draws shaped like <paramref name="input"/>.</summary>
    public static Tensor rand_like(Tensor input, ScalarType? dtype = null, Device? device = null) => Like(Aten.rand_like, input, dtype, device);
    /// <summary>N(0,1) draws shaped like <paramref name="input"/>.</summary>
    public static Tensor randn_like(Tensor input, ScalarType? dtype = null, Device? device = null) => Like(Aten.randn_like, input, dtype, device);
    /// <summary>A value, shaped like <paramref name="input"/>.</summary>
    public static Tensor full_like(Tensor input, Scalar value, ScalarType? dtype = null, Device? device = null)
    {
        var c = new OpCall(Aten.full_like);
        c.Tensor(input); c.Scalar(value); FactoryTail(ref c, dtype, device);
        return c.ToTensor();
    }

    // ---- from .NET data

    /// <summary>
    /// Copies elements into a new CPU tensor of shape <paramref name="dimensions"/> (1-D when null), then converts to
    /// <paramref name="dtype"/> and moves to <paramref name="device"/> when given.
    /// </summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, long[]? dimensions = null, ScalarType? dtype = null,
        Device? device = null, bool requires_grad = false) where T : unmanaged
    {
        var shape = dimensions ?? [data.Length];
        CheckSize(shape);
        long count = 1;
        foreach (var s in shape) count *= s;
        if (count != data.Length)
            throw new ArgumentException($"{data.Length} elements cannot fill shape {Tensor.ShapeString(shape)} ({count} elements)", nameof(dimensions));
        var elementType = ScalarTypeExtensions.Of<T>();
        IntPtr handle;
        fixed (T* p = data)
        fixed (long* s = shape)
            NativeMethods.Check(NativeMethods.dst_from_data(p, (long)data.Length * sizeof(T), s, shape.Length, (int)elementType, out handle));
        var result = new Tensor(handle);
        if ((dtype is { } dt && dt != elementType) || (device is not null && device.type != DeviceType.CPU))
        {
            using var raw = result;
            result = device is null ? raw.to(dtype!.Value, copy: true) : raw.to(device, dtype);
        }
        return WithGrad(result, requires_grad);
    }

    /// <summary>Copies an array into a new tensor.</summary>
    public static Tensor tensor<T>(T[] data, long[]? dimensions = null, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
        where T : unmanaged => tensor((ReadOnlySpan<T>)data, dimensions, dtype, device, requires_grad);

    /// <summary>A 0-d tensor holding one float.</summary>
    public static Tensor tensor(float value, ScalarType? dtype = null, Device? device = null) => tensor([value], [], dtype, device);
    /// <summary>A 0-d tensor holding one double.</summary>
    public static Tensor tensor(double value, ScalarType? dtype = null, Device? device = null) => tensor([value], [], dtype, device);
    /// <summary>A 0-d tensor holding one long.</summary>
    public static Tensor tensor(long value, ScalarType? dtype = null, Device? device = null) => tensor([value], [], dtype, device);
    /// <summary>A 0-d tensor holding one bool.</summary>
    public static Tensor tensor(bool value, ScalarType? dtype = null, Device? device = null) => tensor([value], [], dtype, device);

    /// <summary>
    /// Wraps existing CPU memory without copying. <paramref name="owner"/> is kept alive while libtorch references the
    /// memory and disposed when the last tensor over it is freed. The memory must stay valid until then.
    /// </summary>
    public static unsafe Tensor from_blob(IntPtr data, long[] shape, ScalarType dtype, IDisposable? owner = null, long[]? strides = null)
    {
        CheckSize(shape);
        if (strides is not null && strides.Length != shape.Length)
            throw new ArgumentException($"strides has {strides.Length} entries, shape has {shape.Length}", nameof(strides));
        if (data == IntPtr.Zero && shape.All(s => s != 0))
            throw new ArgumentNullException(nameof(data), $"from_blob: a null data pointer cannot back a tensor of shape {Tensor.ShapeString(shape)}");
        var context = owner is null ? IntPtr.Zero : GCHandle.ToIntPtr(GCHandle.Alloc(owner));
        IntPtr handle;
        int rc;
        fixed (long* s = shape)
        fixed (long* st = strides)
            rc = NativeMethods.dst_from_blob(data, s, shape.Length, strides is null ? null : st, (int)dtype,
                owner is null ? null : &ReleaseOwner, context, out handle);
        if (rc != 0 && context != IntPtr.Zero) GCHandle.FromIntPtr(context).Free();
        NativeMethods.Check(rc);
        return new Tensor(handle);
    }

    /// <summary>Wraps a managed array without copying: the array stays pinned while any tensor over it lives.</summary>
    public static Tensor from_array<T>(T[] array, long[]? shape = null) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array);
        if (shape is not null)
        {
            CheckSize(shape);
            long count = 1;
            foreach (var s in shape) count *= s;
            // The tensor reads and writes the array in place: a larger shape would run past its end.
            if (count != array.Length)
                throw new ArgumentException($"shape {Tensor.ShapeString(shape)} holds {count} elements, the array has {array.Length}", nameof(shape));
        }
        var pin = new PinnedArray(array);
        try
        {
            return from_blob(pin.Address, shape ?? [array.Length], ScalarTypeExtensions.Of<T>(), pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    [UnmanagedCallersOnly]
    private static void ReleaseOwner(IntPtr context)
    {
        var handle = GCHandle.FromIntPtr(context);
        var owner = handle.Target as IDisposable;
        handle.Free();
        // Called from libtorch's deleter, inside dst_free: an exception cannot cross the native frames (the runtime
        // would end the process), so an owner whose Dispose throws has its exception dropped here.
        try
        {
            owner?.Dispose();
        }
        catch (Exception)
        {
        }
    }

    private sealed class PinnedArray : IDisposable
    {
        private GCHandle _pin;
        public PinnedArray(Array array) { _pin = GCHandle.Alloc(array, GCHandleType.Pinned); }
        public IntPtr Address => _pin.AddrOfPinnedObject();
        public void Dispose() { if (_pin.IsAllocated) _pin.Free(); }
    }
}
