using System.Runtime.InteropServices;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

/// <summary>Bad inputs give clear managed exceptions, never a native crash.</summary>
public class ErrorTests
{
    [Fact]
    public void MatmulShapeMismatchNamesTheShapes()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => zeros(2, 3).matmul(zeros(4, 5)));
        Assert.Contains("2x3", ex.Message);
        Assert.Contains("4x5", ex.Message);
        var bmm = Assert.Throws<TorchException>(() => zeros(2, 2, 3).bmm(zeros(2, 4, 5)));
        Assert.Contains("[2, 3]", bmm.Message);
        Assert.Contains("[2, 4]", bmm.Message);
        Assert.Contains("shapes cannot be multiplied", Assert.Throws<TorchException>(() => nn.functional.linear(zeros(2, 3), zeros(4, 5))).Message);
        var add = Assert.Throws<TorchException>(() => zeros(2, 3) + zeros(2, 4));
        Assert.Contains("must match the size", add.Message);
        Assert.Throws<TorchException>(() => zeros(3).matmul(zeros(4)));
        Assert.Throws<TorchException>(() => einsum("ij,jk->ik", zeros(2, 3), zeros(4, 5)));
    }

    [Fact]
    public void IndexOutOfRange()
    {
        using var scope = NewDisposeScope();
        var t = zeros(3, 2);
        Assert.Contains("index out of range", Assert.Throws<TorchException>(() => t.index_select(0, tensor(new long[] { 3 }))).Message);
        Assert.Contains("index out of range", Assert.Throws<TorchException>(() => t.index_select(0, tensor(new long[] { -1 }))).Message);
        Assert.Contains("index out of range", Assert.Throws<TorchException>(() => nn.functional.embedding(tensor(new long[] { 0, 10 }), zeros(10, 2))).Message);
        Assert.Contains("index out of range", Assert.Throws<TorchException>(() => nn.functional.embedding(tensor(new long[] { -1 }), zeros(10, 2))).Message);
        using (var emb = new nn.Embedding(4, 2))
            Assert.Throws<TorchException>(() => emb.forward(tensor(new long[] { 4 })));
        var ix = Assert.Throws<IndexOutOfRangeException>(() => t[3]);
        Assert.Contains("index 3 is out of bounds for dimension 0 with size 3", ix.Message);
        Assert.Throws<IndexOutOfRangeException>(() => t[0, -3]);
        Assert.Throws<IndexOutOfRangeException>(() => t[0, 2] = tensor(1f));
        Assert.Contains("out of bounds", Assert.Throws<TorchException>(() => t[tensor(new long[] { 9 })]).Message);
        Assert.Throws<ArgumentException>(() => t[0, 0, 0]);
        Assert.Throws<ArgumentException>(() => t[TensorIndex.Ellipsis, 0, TensorIndex.Ellipsis]);
        Assert.Throws<ArgumentOutOfRangeException>(() => t[TensorIndex.Slice(0, 2, 0)]);
        Assert.Contains("out of bounds", Assert.Throws<TorchException>(() => t.gather(1, tensor(new long[] { 5 }, [1, 1]))).Message);
        Assert.Throws<TorchException>(() => t.scatter(1, tensor(new long[] { 2 }, [1, 1]), ones(1, 1)));
        Assert.Throws<TorchException>(() => t.scatter_add(1, tensor(new long[] { -7 }, [1, 1]), ones(1, 1)));
        Assert.Throws<TorchException>(() => t.index_add(0, tensor(new long[] { 3 }), ones(1, 2)));
        Assert.Throws<TorchException>(() => t.select(0, 3));
        Assert.Throws<TorchException>(() => t.narrow(1, 1, 2));
        Assert.Throws<TorchException>(() => t.softmax(2));
        Assert.Throws<TorchException>(() => t.sum(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.size(2));
        Assert.Contains("no dimensions", Assert.Throws<ArgumentOutOfRangeException>(() => tensor(1f).size(0)).Message);
    }

    [Fact]
    public void WrongIndexDtype()
    {
        using var scope = NewDisposeScope();
        var t = zeros(3, 2);
        var e1 = Assert.Throws<TorchException>(() => t.index_select(0, tensor(new[] { 1f })));
        Assert.Contains("int64", e1.Message);
        var e2 = Assert.Throws<TorchException>(() => t.gather(1, tensor(new[] { 1f }, [1, 1])));
        Assert.Contains("int64", e2.Message);
        var e3 = Assert.Throws<TorchException>(() => nn.functional.embedding(tensor(new[] { 1f }), zeros(10, 2)));
        Assert.Contains("indices", e3.Message);
        Assert.Throws<TorchException>(() => t.scatter(1, tensor(new[] { 0.0 }, [1, 1]), ones(1, 1)));
        Assert.Contains("long, byte or bool", Assert.Throws<TorchException>(() => t[tensor(new[] { 1f })]).Message);
        // libtorch 1.13 would silently ignore a float mask and treat an int64 one as bool: the binding refuses both.
        Assert.Contains("bool", Assert.Throws<TorchException>(() => t.masked_fill(tensor(new[] { 1f, 0f }), 1)).Message);
        Assert.Throws<TorchException>(() => t.masked_fill(tensor(new long[] { 1, 0 }), 1));
        Assert.Throws<TorchException>(() => t.masked_fill(tensor(new[] { 1f, 0f }), tensor(1f)));
        Assert.Throws<TorchException>(() => t.masked_fill_(tensor(new[] { 1f, 0f }), 1));
        Assert.Throws<TorchException>(() => t.masked_select(tensor(new[] { 1f, 0f })));
        Assert.Throws<TorchException>(() => where(tensor(new[] { 1f, 0f }), t, 0.0));
        Assert.Throws<TorchException>(() => nn.functional.cross_entropy(t, tensor(new[] { 0f, 1f, 1f })));
    }

    [Fact]
    public void UseAfterDispose()
    {
        var t = ones(2, 2);
        var other = ones(2, 2);
        t.Dispose();
        Assert.True(t.IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => t.shape);
        Assert.Throws<ObjectDisposedException>(() => t.dtype);
        Assert.Throws<ObjectDisposedException>(() => t.data<float>());
        Assert.Throws<ObjectDisposedException>(() => t.item<float>());
        Assert.Throws<ObjectDisposedException>(() => t + 1);
        Assert.Throws<ObjectDisposedException>(() => other + t);           // as an argument
        Assert.Throws<ObjectDisposedException>(() => other.matmul(t));
        Assert.Throws<ObjectDisposedException>(() => cat([other, t]));   // inside a list
        Assert.Throws<ObjectDisposedException>(() => other.index_put_([t], other));
        Assert.Throws<ObjectDisposedException>(() => t[0]);
        Assert.Throws<ObjectDisposedException>(() => t.grad);
        Assert.Throws<ObjectDisposedException>(() => t.requires_grad = true);
        Assert.Throws<ObjectDisposedException>(() => t.backward());
        Assert.Throws<ObjectDisposedException>(() => other.backward(t));
        Assert.Throws<ObjectDisposedException>(() => new nn.Parameter(t));
        Assert.Equal("Tensor (disposed)", t.ToString());
        t.Dispose();                                                        // twice is harmless
        other.Dispose();

        var g = new Generator(1);
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rand([2], generator: g));
        Assert.Throws<ObjectDisposedException>(() => g.get_state());
        g.Dispose();

        var lin = new nn.Linear(2, 2);
        lin.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lin.forward(zeros(1, 2)));
    }

    [Fact]
    public void NegativeSizes()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("negative", Assert.Throws<ArgumentException>(() => zeros(2, -1)).Message);
        Assert.Throws<ArgumentException>(() => ones([-3]));
        Assert.Throws<ArgumentException>(() => empty([4, -2]));
        Assert.Throws<ArgumentException>(() => full([-1], 1.0));
        Assert.Throws<ArgumentException>(() => rand(-1));
        Assert.Throws<ArgumentException>(() => randn([2, -2]));
        Assert.Throws<ArgumentException>(() => randint(5, [-1]));
        Assert.Throws<ArgumentException>(() => tensor(new float[] { 1, 2 }, [-1, -2]));
        Assert.Throws<ArgumentException>(() => tensor(new float[] { 1, 2 }, [3]));
        Assert.Throws<ArgumentException>(() => from_array(new float[2], [-2]));
        Assert.Throws<ArgumentException>(() => from_blob(IntPtr.Zero, [-1], float32));
        Assert.Throws<ArgumentOutOfRangeException>(() => linspace(0, 1, -1));
        Assert.Throws<ArgumentException>(() => randint(5, 5, [2]));
        Assert.Contains("-1", Assert.Throws<TorchException>(() => eye(-1)).Message);
        Assert.Contains("-2", Assert.Throws<TorchException>(() => zeros(6).view(-2, 3)).Message);
        Assert.Throws<TorchException>(() => zeros(6).reshape(4, -1));
        Assert.Throws<TorchException>(() => zeros(6).narrow(0, 2, -1));
        Assert.Throws<TorchException>(() => zeros(2).expand(-2));
        Assert.Throws<TorchException>(() => zeros(2).repeat(-1));
        Assert.Throws<TorchException>(() => arange(0, 5, (Scalar)0));
        Assert.Throws<TorchException>(() => empty([1L << 50]));          // allocation failure, not a crash
    }

    [Fact]
    public void WrongElementTypeInData()
    {
        using var scope = NewDisposeScope();
        var f = ones(3);
        var ex = Assert.Throws<ArgumentException>(() => f.data<double>());
        Assert.Contains("Float32", ex.Message);
        Assert.Contains("Double", ex.Message);
        Assert.Throws<ArgumentException>(() => ones([2], int64).data<int>());
        Assert.Throws<ArgumentException>(() => ones([2], bfloat16).data<Half>());
        Assert.Throws<ArgumentException>(() => ones([2], @bool).data<byte>());
        Assert.Throws<NotSupportedException>(() => f.data<char>());
        Assert.Throws<ArgumentException>(() => f.CopyTo<float>(new float[2]));
        Assert.Throws<ArgumentException>(() => f.CopyTo<double>(new double[3]));
        Assert.Contains("one element", Assert.Throws<ArgumentException>(() => f.item<float>()).Message);
        Assert.Throws<OverflowException>(() => tensor(300L).item<byte>());
        Assert.Throws<NotSupportedException>(() => f[0].item<char>());
        Assert.Throws<ArgumentOutOfRangeException>(() => f.to((ScalarType)8));
        Assert.Throws<ArgumentOutOfRangeException>(() => zeros([2], (ScalarType)42));
    }

    [Fact]
    public void FromArrayAndFromBlobRejectMemoryTheyCannotCover()
    {
        var ex = Assert.Throws<ArgumentException>(() => from_array(new float[2], [1000]));
        Assert.Contains("1000", ex.Message);
        Assert.Throws<ArgumentException>(() => from_array(new float[6], [2, 2]));
        Assert.Throws<ArgumentNullException>(() => from_blob(IntPtr.Zero, [3], float32));
        Assert.Throws<ArgumentException>(() => from_blob(new IntPtr(16), [3], float32, strides: [1, 1]));
        using var empty = from_array(Array.Empty<float>(), [0, 4]);
        Assert.Equal(0, empty.numel());
    }

    [Fact]
    public void GradientAssignmentIsChecked()
    {
        using var scope = NewDisposeScope();
        var p = zeros([2, 2], requires_grad: true);
        Assert.Contains("different size", Assert.Throws<TorchException>(() => p.grad = zeros(3)).Message);
        Assert.Contains("different type", Assert.Throws<TorchException>(() => p.grad = zeros([2, 2], float64)).Message);
        Assert.Throws<TorchException>(() => p.grad = p);
        Assert.Null(p.grad);
        p.grad = ones(2, 2);
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, p.grad!.data<float>());
    }

    [Fact]
    public void AutogradMisuse()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("does not require grad", Assert.Throws<TorchException>(() => zeros(1).sum().backward()).Message);
        var x = zeros([2], requires_grad: true);
        Assert.Throws<TorchException>(() => (x * 2).backward(ones(3)));
        Assert.Throws<TorchException>(() => ones([2], int64).requires_grad_());
        var y = x * 2;
        Assert.Throws<TorchException>(() => y.requires_grad = false);    // not a leaf
    }

    [Fact]
    public void MiscellaneousBadInputs()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("non-empty", Assert.Throws<TorchException>(() => cat(Array.Empty<Tensor>())).Message);
        Assert.Throws<TorchException>(() => stack([zeros(2), zeros(3)]));
        Assert.Throws<TorchException>(() => zeros(2, 3).permute(0));
        Assert.Throws<TorchException>(() => zeros(2).t().view(1, 2, 2));
        Assert.Throws<TorchException>(() => tensor(new[] { -1f, 2f }).multinomial(1));
        Assert.Throws<TorchException>(() => zeros(3).multinomial(1));
        Assert.Throws<TorchException>(() => tensor(new[] { 1f, 1f }).multinomial(3, replacement: false));
        Assert.Throws<TorchException>(() => zeros(2).to(CUDA));
        Assert.False(cuda.is_available());
        Assert.Equal(0, cuda.device_count());
        Assert.Throws<TorchException>(() => new Generator(1, CUDA));
        using var g = new Generator(1);
        Assert.Contains("ByteTensor", Assert.Throws<TorchException>(() => g.set_state(zeros(3))).Message);
        Assert.Throws<TorchException>(() => g.set_state(zeros([3], uint8)));
        Assert.Equal(rand([4], generator: new Generator(1)).data<float>(), rand([4], generator: g).data<float>()); // still usable
        Assert.Throws<ArgumentException>(() => new Device("tpu"));
        Assert.Throws<ArgumentException>(() => new Device("cuda:x"));
        Assert.Equal("cuda:1", new Device("cuda:1").ToString());
    }

    private sealed class ThrowingOwner : IDisposable
    {
        private GCHandle _pin;
        public bool Disposed { get; private set; }
        public ThrowingOwner(float[] data) { _pin = GCHandle.Alloc(data, GCHandleType.Pinned); }
        public IntPtr Address => _pin.AddrOfPinnedObject();
        public void Dispose()
        {
            _pin.Free();
            Disposed = true;
            throw new InvalidOperationException("owner failed to release");
        }
    }

    [Fact]
    public void AThrowingBlobOwnerDoesNotCrashTheProcess()
    {
        var owner = new ThrowingOwner([1f, 2f]);
        var t = from_blob(owner.Address, [2], float32, owner);
        Assert.Equal(new[] { 1f, 2f }, t.data<float>());
        t.Dispose();                                                       // the release callback runs inside native code
        Assert.True(owner.Disposed);
    }
}
