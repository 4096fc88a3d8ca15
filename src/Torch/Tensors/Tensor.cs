using System.Runtime.InteropServices;
using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    /// <summary>
    /// A libtorch tensor. Owns one native handle; free it with <see cref="Dispose()"/>, a
    /// <see cref="DisposeScope"/> or, as a backstop, the finalizer. Any use after dispose throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public partial class Tensor : IDisposable
    {
        private IntPtr _handle;

        internal Tensor(IntPtr handle)
        {
            if (handle == IntPtr.Zero) throw new ArgumentException("null tensor handle", nameof(handle));
            _handle = handle;
            OwningScope = DisposeScope.Register(this);
        }

        /// <summary>Takes the handle of <paramref name="other"/>, leaving it disposed (used by Parameter).</summary>
        internal Tensor(Tensor other)
        {
            _handle = other.Handle;
            other._handle = IntPtr.Zero;
            other.OwningScope?.Forget(other);
            other.OwningScope = null;
            GC.SuppressFinalize(other);
            OwningScope = DisposeScope.Register(this);
        }

        /// <summary>Finalizer: frees the native tensor if it was never disposed.</summary>
        ~Tensor() => Free();

        internal DisposeScope? OwningScope { get; set; }

        /// <summary>True once the tensor has been disposed.</summary>
        public bool IsInvalid => _handle == IntPtr.Zero;

        internal IntPtr Handle =>
            _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed");

        /// <summary>Frees the native tensor now.</summary>
        public void Dispose()
        {
            OwningScope?.Forget(this);
            OwningScope = null;
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
            if (h != IntPtr.Zero) NativeMethods.dst_free(h);
        }

        /// <summary>Moves the tensor to the scope enclosing the one that owns it (TorchSharp's name).</summary>
        public Tensor MoveToOuterDisposeScope() => OwningScope?.MoveToOuter(this) ?? this;

        /// <summary>Removes the tensor from every dispose scope: the caller owns it.</summary>
        public Tensor DetachFromDisposeScope() => OwningScope?.Detach(this) ?? this;

        private (long ndim, ScalarType dtype, Device device, long numel, bool requiresGrad, bool isLeaf) Info()
        {
            NativeMethods.Check(NativeMethods.dst_info(Handle, out var ndim, out var dtype, out var deviceType,
                out var deviceIndex, out var numel, out var requiresGrad, out var isLeaf));
            var device = deviceType == 0 ? CPU : new Device((DeviceType)deviceType, deviceIndex);
            return (ndim, (ScalarType)dtype, device, numel, requiresGrad != 0, isLeaf != 0);
        }

        /// <summary>Number of dimensions.</summary>
        public long Dimensions => Info().ndim;

        /// <summary>Number of dimensions (PyTorch's <c>dim()</c>).</summary>
        public long dim() => Info().ndim;

        /// <summary>Number of elements.</summary>
        public long numel() => Info().numel;

        /// <summary>Number of elements.</summary>
        public long NumberOfElements => Info().numel;

        /// <summary>The element type.</summary>
        public ScalarType dtype => Info().dtype;

        /// <summary>The device holding the data.</summary>
        public Device device => Info().device;

        /// <summary>The device type holding the data.</summary>
        public DeviceType device_type => Info().device.type;

        /// <summary>True when autograd records operations on this tensor.</summary>
        public bool requires_grad
        {
            get => Info().requiresGrad;
            set => NativeMethods.Check(NativeMethods.dst_set_requires_grad(Handle, value ? 1 : 0));
        }

        /// <summary>True for tensors that are not the result of a recorded operation.</summary>
        public bool is_leaf => Info().isLeaf;

        /// <summary>The sizes of every dimension.</summary>
        public unsafe long[] shape
        {
            get
            {
                var ndim = Info().ndim;
                var sizes = new long[ndim];
                fixed (long* p = sizes) NativeMethods.Check(NativeMethods.dst_sizes(Handle, p, ndim));
                return sizes;
            }
        }

        /// <summary>The size of one dimension (negative counts from the end).</summary>
        public long size(long dim)
        {
            var s = shape;
            if (s.Length == 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "size(dim) of a 0-d tensor: it has no dimensions");
            return s[NormalizeDim(dim, s.Length)];
        }

        /// <summary>The sizes of every dimension.</summary>
        public long[] size() => shape;

        /// <summary>The strides (in elements) of every dimension.</summary>
        public unsafe long[] stride()
        {
            var ndim = Info().ndim;
            var strides = new long[ndim];
            fixed (long* p = strides) NativeMethods.Check(NativeMethods.dst_strides(Handle, p, ndim));
            return strides;
        }

        /// <summary>Offset of the first element in the storage, in elements.</summary>
        public long storage_offset()
        {
            NativeMethods.Check(NativeMethods.dst_storage_offset(Handle, out var offset));
            return offset;
        }

        /// <summary>Address of the first element (CPU tensors; valid while the tensor lives).</summary>
        public IntPtr data_ptr()
        {
            NativeMethods.Check(NativeMethods.dst_data_ptr(Handle, out var p));
            GC.KeepAlive(this);
            return p;
        }

        /// <summary>Copies the elements (row-major, any layout or device) into a new array.</summary>
        public unsafe T[] data<T>() where T : unmanaged
        {
            var (_, dt, _, numel, _, _) = Info();
            CheckElementType<T>(dt);
            var result = new T[numel];
            fixed (T* p = result) NativeMethods.Check(NativeMethods.dst_copy_out(Handle, p, numel * sizeof(T)));
            GC.KeepAlive(this);
            return result;
        }

        /// <summary>Copies the elements (row-major) into <paramref name="destination"/>, whose length must equal numel.</summary>
        public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
        {
            var (_, dt, _, numel, _, _) = Info();
            CheckElementType<T>(dt);
            if (destination.Length != numel)
                throw new ArgumentException($"destination holds {destination.Length} elements, tensor has {numel}", nameof(destination));
            fixed (T* p = destination) NativeMethods.Check(NativeMethods.dst_copy_out(Handle, p, numel * sizeof(T)));
            GC.KeepAlive(this);
        }

        /// <summary>The value of a one-element tensor, converted to <typeparamref name="T"/>.</summary>
        public T item<T>() where T : unmanaged
        {
            if (numel() != 1) throw new ArgumentException($"item() needs a tensor with one element, this one has shape {ShapeString(shape)}");
            var call = new OpCall(Aten._local_scalar_dense);
            call.Tensor(this);
            var s = call.ToScalar();
            object boxed = typeof(T) switch
            {
                var t when t == typeof(float) => s.ToSingle(),
                var t when t == typeof(double) => s.ToDouble(),
                var t when t == typeof(long) => s.ToInt64(),
                var t when t == typeof(int) => checked((int)s.ToInt64()),
                var t when t == typeof(bool) => s.ToBoolean(),
                var t when t == typeof(short) => checked((short)s.ToInt64()),
                var t when t == typeof(byte) => checked((byte)s.ToInt64()),
                var t when t == typeof(sbyte) => checked((sbyte)s.ToInt64()),
                var t when t == typeof(Half) => (Half)s.ToDouble(),
                var t when t == typeof(BFloat16) => BFloat16.FromSingle(s.ToSingle()),
                _ => throw new NotSupportedException($"item<{typeof(T).Name}>() is not supported"),
            };
            return (T)boxed;
        }

        /// <summary>A new handle to the same tensor (shares storage and autograd identity).</summary>
        public Tensor alias()
        {
            NativeMethods.Check(NativeMethods.dst_clone_handle(Handle, out var h));
            return new Tensor(h);
        }

        private static void CheckElementType<T>(ScalarType actual) where T : unmanaged
        {
            var wanted = ScalarTypeExtensions.Of<T>();
            if (wanted != actual)
                throw new ArgumentException($"tensor has dtype {actual}; cannot read it as {typeof(T).Name} ({wanted}); convert with .to(...) first");
        }

        internal static long NormalizeDim(long dim, long ndim)
        {
            var d = dim < 0 ? dim + ndim : dim;
            if (d < 0 || d >= Math.Max(ndim, 1))
                throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dimension out of range for a tensor of {ndim} dimensions");
            return d;
        }

        internal static string ShapeString(long[] shape) => "[" + string.Join(", ", shape) + "]";

        /// <summary>Shape, dtype and device, e.g. <c>[2, 3], Float32, cpu</c>.</summary>
        public override string ToString() =>
            IsInvalid ? "Tensor (disposed)" : $"{ShapeString(shape)}, {dtype}, {device}";
    }

    /// <summary>Number of native tensor handles alive in this process (diagnostics and leak tests).</summary>
    public static long LiveTensorCount => NativeMethods.dst_live_tensors();
}
