namespace DiffusionSteering.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A tensor that is a learnable parameter of a <see cref="Module"/> (requires grad by default).</summary>
        public sealed class Parameter : Tensor
        {
            /// <summary>Takes ownership of <paramref name="data"/> (which is left disposed) as a parameter.</summary>
            public Parameter(Tensor data, bool requires_grad = true) : base(StealDetached(data))
            {
                this.requires_grad = requires_grad;
            }

            private static Tensor StealDetached(Tensor data)
            {
                if (!data.is_leaf)
                {
                    var leaf = data.detach();
                    data.Dispose();
                    return leaf;
                }
                return data;
            }
        }
    }

    public partial class Tensor
    {
        /// <summary>
        /// Points this tensor object at <paramref name="source"/>'s data (PyTorch's <c>t.data = source</c>): both share
        /// storage afterwards, <paramref name="source"/> stays valid, and this object keeps its requires_grad flag.
        /// </summary>
        public Tensor set_data(Tensor source)
        {
            var requiresGrad = requires_grad;
            using var detached = source.detach();
            ReplaceNative(detached.alias());
            if (requires_grad != requiresGrad) requires_grad = requiresGrad;
            return this;
        }

        /// <summary>Replaces the native tensor behind this object with <paramref name="replacement"/>'s (which is left disposed).</summary>
        internal void ReplaceNative(Tensor replacement)
        {
            var incoming = replacement.Handle;
            replacement._handle = IntPtr.Zero;
            replacement.OwningScope?.Forget(replacement);
            replacement.OwningScope = null;
            GC.SuppressFinalize(replacement);
            var old = Interlocked.Exchange(ref _handle, incoming);
            if (old != IntPtr.Zero) Native.NativeMethods.dst_free(old);
        }
    }
}
