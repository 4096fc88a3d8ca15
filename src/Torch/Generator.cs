using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    /// <summary>
    /// An explicit random number generator (libtorch's: mt19937/Philox, identical streams to PyTorch for the same seed).
    /// Pass one per sample for results independent of batch composition.
    /// </summary>
    public sealed class Generator : IDisposable
    {
        private IntPtr _handle;

        /// <summary>Creates a generator on a device, seeded.</summary>
        public Generator(ulong seed = 67280421310721UL, Device? device = null)
        {
            var d = device ?? CPU;
            NativeMethods.Check(NativeMethods.dst_generator_new((int)d.type, d.index, seed, out _handle));
            this.device = d;
        }

        /// <summary>Finalizer backstop.</summary>
        ~Generator() => Free();

        /// <summary>The device whose random streams this generator drives.</summary>
        public Device device { get; }

        internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Generator));

        /// <summary>Re-seeds (resets the stream).</summary>
        public Generator manual_seed(ulong seed)
        {
            NativeMethods.Check(NativeMethods.dst_generator_seed(Handle, seed));
            return this;
        }

        /// <summary>The seed the stream started from.</summary>
        public ulong initial_seed()
        {
            NativeMethods.Check(NativeMethods.dst_generator_initial_seed(Handle, out var seed));
            return seed;
        }

        /// <summary>The full generator state as a uint8 tensor (to checkpoint and resume a run).</summary>
        public Tensor get_state()
        {
            NativeMethods.Check(NativeMethods.dst_generator_get_state(Handle, out var state));
            return new Tensor(state);
        }

        /// <summary>Restores a state taken with <see cref="get_state"/>.</summary>
        public Generator set_state(Tensor state)
        {
            NativeMethods.Check(NativeMethods.dst_generator_set_state(Handle, state.Handle));
            GC.KeepAlive(state);
            return this;
        }

        /// <summary>Frees the native generator.</summary>
        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
            if (h != IntPtr.Zero) NativeMethods.dst_generator_free(h);
        }
    }
}
