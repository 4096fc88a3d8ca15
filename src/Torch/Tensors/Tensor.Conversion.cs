using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        /// <summary>This tensor in another dtype (itself when it already has it, unless <paramref name="copy"/>).</summary>
        public Tensor to(ScalarType dtype, bool copy = false)
        {
            var c = new OpCall(Aten.to_dtype);
            c.Tensor(this); c.DType(dtype); c.Bool(false); c.Bool(copy);
            return c.ToTensor();
        }
        /// <summary>This tensor on another device, optionally in another dtype.</summary>
        public Tensor to(Device device, ScalarType? dtype = null, bool copy = false)
        {
            var c = new OpCall(Aten.to_dtype_layout);
            c.Tensor(this); c.OptionalDType(dtype); c.None(); c.Device(device); c.None(); c.Bool(false); c.Bool(copy);
            return c.ToTensor();
        }
        /// <summary>This tensor with the dtype and device of <paramref name="other"/>.</summary>
        public Tensor to(Tensor other) => to(other.device, other.dtype);
        /// <summary>A copy (or this) in float32.</summary>
        public Tensor @float() => to(ScalarType.Float32);
        /// <summary>A copy (or this) in float64.</summary>
        public Tensor @double() => to(ScalarType.Float64);
        /// <summary>A copy (or this) in bfloat16.</summary>
        public Tensor bfloat16() => to(ScalarType.BFloat16);
        /// <summary>A copy (or this) in float16.</summary>
        public Tensor half() => to(ScalarType.Float16);
        /// <summary>A copy (or this) in int64.</summary>
        public Tensor @long() => to(ScalarType.Int64);
        /// <summary>A copy (or this) in int32.</summary>
        public Tensor @int() => to(ScalarType.Int32);
        /// <summary>A copy (or this) in bool.</summary>
        public Tensor @bool() => to(ScalarType.Bool);
        /// <summary>This tensor on the CPU.</summary>
        public Tensor cpu() => to(CPU);
        /// <summary>This tensor on a CUDA device.</summary>
        public Tensor cuda(int index = -1) => to(new Device(DeviceType.CUDA, index));
        /// <summary>A copy with its own storage, recorded by autograd.</summary>
        public Tensor clone() => Unary(Aten.clone, this);
        /// <summary>The same data, cut from the autograd graph.</summary>
        public Tensor detach() => Unary(Aten.detach, this);
        /// <summary>Copies <paramref name="src"/> (broadcast, converted) into this tensor.</summary>
        public Tensor copy_(Tensor src, bool non_blocking = false)
        {
            var c = new OpCall(Aten.copy_);
            c.Tensor(this); c.Tensor(src); c.Bool(non_blocking);
            return c.InPlace(this);
        }
        /// <summary>Fills with a value.</summary>
        public Tensor fill_(Scalar value) => ScalarInPlace(Aten.fill__Scalar, value);
        /// <summary>Fills with zeros.</summary>
        public Tensor zero_() => UnaryInPlace(Aten.zero_, this);
        /// <summary>Fills with U[from, to) draws.</summary>
        public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
        {
            var c = new OpCall(Aten.uniform_);
            c.Tensor(this); c.Double(from); c.Double(to); c.Generator(generator);
            return c.InPlace(this);
        }
        /// <summary>Fills with N(mean, std²) draws.</summary>
        public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
        {
            var c = new OpCall(Aten.normal_);
            c.Tensor(this); c.Double(mean); c.Double(std); c.Generator(generator);
            return c.InPlace(this);
        }
        /// <summary>Fills with Exp(lambda) draws.</summary>
        public Tensor exponential_(double lambd = 1, Generator? generator = null)
        {
            var c = new OpCall(Aten.exponential_);
            c.Tensor(this); c.Double(lambd); c.Generator(generator);
            return c.InPlace(this);
        }
        /// <summary>Bernoulli(p) draws of this tensor's shape.</summary>
        public Tensor bernoulli(double p, Generator? generator = null)
        {
            var c = new OpCall(Aten.bernoulli_p);
            c.Tensor(this); c.Double(p); c.Generator(generator);
            return c.ToTensor();
        }

        // ---- autograd

        /// <summary>Sets requires_grad in place and returns this tensor.</summary>
        public Tensor requires_grad_(bool requires_grad = true)
        {
            this.requires_grad = requires_grad;
            return this;
        }
        /// <summary>The accumulated gradient, or null (a new handle; dispose it or let a scope do so).</summary>
        public Tensor? grad
        {
            get
            {
                NativeMethods.Check(NativeMethods.dst_grad(Handle, out var g));
                return g == IntPtr.Zero ? null : new Tensor(g);
            }
            set
            {
                NativeMethods.Check(NativeMethods.dst_set_grad(Handle, value?.Handle ?? IntPtr.Zero));
                GC.KeepAlive(value);
            }
        }
        /// <summary>Back-propagates from this tensor (a scalar, or with an explicit output gradient).</summary>
        public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false)
        {
            NativeMethods.Check(NativeMethods.dst_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retain_graph ? 1 : 0, create_graph ? 1 : 0));
            GC.KeepAlive(gradient);
        }
        /// <summary>Keeps the gradient of a non-leaf tensor after backward.</summary>
        public Tensor retain_grad()
        {
            NativeMethods.Check(NativeMethods.dst_retain_grad(Handle));
            return this;
        }
    }
}
