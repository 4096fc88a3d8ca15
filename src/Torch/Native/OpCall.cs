using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Native;

[InlineArray(Capacity)]
internal struct DstValueBuffer
{
    public const int Capacity = 12;
    private DstValue _element;
}

[InlineArray(Capacity)]
internal struct ObjectBuffer
{
    public const int Capacity = 12;
    private object? _element;
}

/// <summary>
/// Builds the argument list of one boxed operator call on the stack: tensors are kept alive until the call returns,
/// list arguments are pinned for its duration. Arguments follow the schema's order; trailing ones take their defaults.
/// </summary>
internal ref struct OpCall
{
    private readonly OpHandle _op;
    private DstValueBuffer _args;
    private ObjectBuffer _keepAlive;
    private int _count;
    private int _keepCount;

    public OpCall(OpHandle op) { _op = op; }

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    private ref DstValue Next()
    {
        if (_count == DstValueBuffer.Capacity) throw new InvalidOperationException($"{_op}: too many arguments");
        ref var v = ref _args[_count++];
        v = default;
        return ref v;
    }

    private void Keep(object o)
    {
        if (_keepCount == ObjectBuffer.Capacity) throw new InvalidOperationException($"{_op}: too many pinned arguments");
        _keepAlive[_keepCount++] = o;
    }

    public void Tensor(Tensor t)
    {
        ref var v = ref Next();
        v.Kind = ValueKind.Tensor;
        v.Ptr = t.Handle;
        Keep(t);
    }

    public void OptionalTensor(Tensor? t)
    {
        if (t is null) None(); else Tensor(t);
    }

    public void Int(long value) { ref var v = ref Next(); v.Kind = ValueKind.Int; v.I = value; }
    public void Double(double value) { ref var v = ref Next(); v.Kind = ValueKind.Double; v.D = value; }
    public void Bool(bool value) { ref var v = ref Next(); v.Kind = ValueKind.Bool; v.I = value ? 1 : 0; }
    public void None() { Next().Kind = ValueKind.None; }
    public void Default() { Next().Kind = ValueKind.Default; }

    public void Scalar(Scalar s)
    {
        ref var v = ref Next();
        switch (s.Kind)
        {
            case ScalarKind.Integer: v.Kind = ValueKind.Int; v.I = s.IntegerValue; break;
            case ScalarKind.Boolean: v.Kind = ValueKind.Bool; v.I = s.IntegerValue; break;
            default: v.Kind = ValueKind.Double; v.D = s.DoubleValue; break;
        }
    }

    public void OptionalScalar(Scalar? s)
    {
        if (s is { } value) Scalar(value); else None();
    }

    public void OptionalInt(long? value)
    {
        if (value is { } x) Int(x); else None();
    }

    public void OptionalDouble(double? value)
    {
        if (value is { } x) Double(x); else None();
    }

    public void DType(ScalarType dtype)
    {
        // libtorch reinterprets the integer unchecked: an undefined code would make, e.g., a complex tensor.
        if (!Enum.IsDefined(dtype)) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a supported ScalarType");
        Int((long)dtype);
    }

    public void OptionalDType(ScalarType? dtype)
    {
        if (dtype is { } d) DType(d); else None();
    }

    public void Device(Device device)
    {
        ref var v = ref Next();
        v.Kind = ValueKind.Device;
        v.I = (long)device.type;
        v.Len = device.index;
    }

    public void OptionalDevice(Device? device)
    {
        if (device is { } d) Device(d); else None();
    }

    public void Generator(Generator? generator)
    {
        ref var v = ref Next();
        if (generator is null) { v.Kind = ValueKind.None; return; }
        v.Kind = ValueKind.Generator;
        v.Ptr = generator.Handle;
        Keep(generator);
    }

    public void IntList(long[] values)
    {
        ref var v = ref Next();
        v.Kind = ValueKind.IntList;
        v.Ptr = Pin(values);
        v.Len = values.Length;
    }

    public void OptionalIntList(long[]? values)
    {
        if (values is null) None(); else IntList(values);
    }

    public void DoubleList(double[] values)
    {
        ref var v = ref Next();
        v.Kind = ValueKind.DoubleList;
        v.Ptr = Pin(values);
        v.Len = values.Length;
    }

    public void TensorList(IReadOnlyList<Tensor> tensors)
    {
        var handles = new IntPtr[tensors.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = tensors[i].Handle;
        ref var v = ref Next();
        v.Kind = ValueKind.TensorList;
        v.Ptr = Pin(handles);
        v.Len = handles.Length;
        Keep(tensors);
    }

    public void OptionalTensorList(IReadOnlyList<Tensor?> tensors)
    {
        var handles = new IntPtr[tensors.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = tensors[i]?.Handle ?? IntPtr.Zero;
        ref var v = ref Next();
        v.Kind = ValueKind.OptionalTensorList;
        v.Ptr = Pin(handles);
        v.Len = handles.Length;
        Keep(tensors);
    }

    public void String(string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value + "\0");
        ref var v = ref Next();
        v.Kind = ValueKind.String;
        v.Ptr = Pin(bytes);
    }

    public void OptionalString(string? value)
    {
        if (value is null) None(); else String(value);
    }

    private IntPtr Pin(Array array)
    {
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        Keep(handle);
        return handle.AddrOfPinnedObject();
    }

    /// <summary>Runs the call and returns its raw results (count = number of schema returns).</summary>
    private unsafe int Invoke(ref DstValueBuffer results)
    {
        try
        {
            int n;
            fixed (DstValue* a = &_args[0])
            fixed (DstValue* r = &results[0])
            {
                NativeMethods.Check(NativeMethods.dst_call(_op.Handle, a, _count, r, DstValueBuffer.Capacity, out n));
            }
            return n;
        }
        finally
        {
            for (var i = 0; i < _keepCount; i++)
            {
                if (_keepAlive[i] is GCHandle h) h.Free();
                else GC.KeepAlive(_keepAlive[i]);
                _keepAlive[i] = null;
            }
            _keepCount = 0;
        }
    }

    /// <summary>Calls an operator that returns one tensor.</summary>
    public Tensor ToTensor()
    {
        var results = new DstValueBuffer();
        var n = Invoke(ref results);
        return TakeTensor(ref results, n, 0);
    }

    /// <summary>Calls an in-place operator and returns <paramref name="self"/> (the native result aliases it).</summary>
    public Tensor InPlace(Tensor self)
    {
        var results = new DstValueBuffer();
        var n = Invoke(ref results);
        for (var i = 0; i < n; i++) FreeResult(ref results[i]);
        return self;
    }

    /// <summary>Calls an operator that returns nothing (or results the caller ignores).</summary>
    public void Run()
    {
        var results = new DstValueBuffer();
        var n = Invoke(ref results);
        for (var i = 0; i < n; i++) FreeResult(ref results[i]);
    }

    /// <summary>Calls an operator that returns two tensors.</summary>
    public (Tensor, Tensor) ToTensors2()
    {
        var results = new DstValueBuffer();
        var n = Invoke(ref results);
        return (TakeTensor(ref results, n, 0), TakeTensor(ref results, n, 1));
    }

    /// <summary>Calls an operator that returns several tensors.</summary>
    public Tensor[] ToTensorArray()
    {
        var results = new DstValueBuffer();
        var n = Invoke(ref results);
        if (n == 1 && results[0].Kind == ValueKind.TensorList)
        {
            ref var list = ref results[0];
            var output = new Tensor[list.Len];
            unsafe
            {
                var handles = (IntPtr*)list.Ptr;
                for (var i = 0; i < output.Length; i++) output[i] = new Tensor(handles[i]);
            }
            NativeMethods.dst_free_array(list.Ptr);
            return output;
        }
        var tensors = new Tensor[n];
        for (var i = 0; i < n; i++) tensors[i] = TakeTensor(ref results, n, i);
        return tensors;
    }

    /// <summary>Calls an operator that returns a Python scalar (int, float or bool).</summary>
    public Scalar ToScalar()
    {
        var results = new DstValueBuffer();
        var n = Invoke(ref results);
        if (n != 1) throw new TorchException($"{_op}: expected one scalar result, got {n}");
        var r = results[0];
        return r.Kind switch
        {
            ValueKind.Int => new Scalar(r.I),
            ValueKind.Double => new Scalar(r.D),
            ValueKind.Bool => new Scalar(r.I != 0),
            _ => throw new TorchException($"{_op}: expected a scalar result, got {r.Kind}"),
        };
    }

    private Tensor TakeTensor(ref DstValueBuffer results, int n, int index)
    {
        if (index >= n) throw new TorchException($"{_op}: expected at least {index + 1} results, got {n}");
        ref var r = ref results[index];
        if (r.Kind != ValueKind.Tensor) throw new TorchException($"{_op}: result {index} is {r.Kind}, not a tensor");
        var t = new Tensor(r.Ptr);
        r.Kind = ValueKind.None;
        return t;
    }

    private static void FreeResult(ref DstValue r)
    {
        switch (r.Kind)
        {
            case ValueKind.Tensor: NativeMethods.dst_free(r.Ptr); break;
            case ValueKind.TensorList:
                unsafe
                {
                    var handles = (IntPtr*)r.Ptr;
                    for (var i = 0; i < r.Len; i++) NativeMethods.dst_free(handles[i]);
                }
                NativeMethods.dst_free_array(r.Ptr);
                break;
            case ValueKind.IntList: NativeMethods.dst_free_array(r.Ptr); break;
        }
        r.Kind = ValueKind.None;
    }
}
