using System.Runtime.InteropServices;
using System.Text;

namespace DiffusionSteering.Torch.Native;

/// <summary>
/// A dispatcher operator (<c>aten::name.overload</c>), looked up once on first use. Calling it through the dispatcher
/// means autograd, autocast and the device backends apply exactly as they do from PyTorch.
/// </summary>
internal sealed class OpHandle
{
    private readonly Lazy<IntPtr> _handle;

    public OpHandle(string name, string overload = "")
    {
        Name = name;
        Overload = overload;
        _handle = new Lazy<IntPtr>(() =>
        {
            NativeMethods.Check(NativeMethods.dst_find_op(name, overload, out var op));
            return op;
        });
    }

    public string Name { get; }
    public string Overload { get; }
    public IntPtr Handle => _handle.Value;

    /// <summary>The operator's schema as libtorch prints it (for diagnostics).</summary>
    public unsafe string Schema
    {
        get
        {
            NativeMethods.Check(NativeMethods.dst_op_schema(Handle, null, 0, out var length));
            var buffer = new byte[length + 1];
            fixed (byte* p = buffer) NativeMethods.Check(NativeMethods.dst_op_schema(Handle, p, buffer.Length, out _));
            return Encoding.UTF8.GetString(buffer, 0, (int)length);
        }
    }

    public override string ToString() => Overload.Length == 0 ? Name : Name + "." + Overload;
}
