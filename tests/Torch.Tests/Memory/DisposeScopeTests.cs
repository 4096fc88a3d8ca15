using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Memory;

/// <summary>LiveTensorCount is process-wide: these tests run alone.</summary>
[Collection(SerialCollection.Name)]
public class DisposeScopeTests
{
    internal static long SettledLiveCount()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return LiveTensorCount;
    }

    [Fact]
    public void ScopeFreesEverythingCreatedInside()
    {
        var baseline = SettledLiveCount();
        Tensor a, b, g;
        Tensor[] parts;
        (Tensor values, Tensor indexes) top;
        using (var scope = NewDisposeScope())
        {
            a = ones(3, 4);
            b = (a * 2).sum(1);
            parts = a.split(2, 1);
            top = a.topk(2);
            var x = tensor(new[] { 1f, 2f }, requires_grad: true);
            (x * x).sum().backward();
            g = x.grad!;
            Assert.Equal(baseline + 11, LiveTensorCount);   // a, a*2, b, 2 parts, 2 topk results, x, x*x, sum, grad
            Assert.True(scope.DisposablesCount >= 9);
        }
        Assert.Equal(baseline, LiveTensorCount);
        foreach (var t in new[] { a, b, g, top.values, top.indexes }.Concat(parts)) Assert.True(t.IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => a.shape);
    }

    [Fact]
    public void MoveToOuterAndDetach()
    {
        var baseline = SettledLiveCount();
        Tensor moved, detached, inner, outerOwned;
        using (var outer = NewDisposeScope())
        {
            outerOwned = zeros(1);
            using (var scope = NewDisposeScope())
            {
                Assert.Same(outer, scope.Outer);
                inner = zeros(2);
                moved = zeros(3).MoveToOuterDisposeScope();
                detached = zeros(4).DetachFromDisposeScope();
                Assert.Equal(1, scope.DisposablesCount);
            }
            Assert.True(inner.IsInvalid);
            Assert.False(moved.IsInvalid);
            Assert.False(detached.IsInvalid);
            Assert.Equal(2, outer.DisposablesCount);            // outerOwned and moved
        }
        Assert.True(moved.IsInvalid);
        Assert.True(outerOwned.IsInvalid);
        Assert.False(detached.IsInvalid);                        // the caller owns it
        Assert.Equal(baseline + 1, LiveTensorCount);
        detached.Dispose();
        Assert.Equal(baseline, LiveTensorCount);

        // Moving out of the outermost scope leaves the tensor unowned; moving an unowned tensor is a no-op.
        Tensor free;
        using (NewDisposeScope()) free = zeros(2).MoveToOuterDisposeScope();
        Assert.False(free.IsInvalid);
        Assert.Same(free, free.MoveToOuterDisposeScope());
        Assert.Same(free, free.DetachFromDisposeScope());
        free.Dispose();
        Assert.Equal(baseline, LiveTensorCount);
    }

    [Fact]
    public void IncludeDisposeTwiceAndOutsideTensors()
    {
        var baseline = SettledLiveCount();
        var outside = ones(2);                                   // made outside any scope: not owned
        Tensor early;
        using (var scope = NewDisposeScope())
        {
            scope.Include(outside);
            early = zeros(3);
            early.Dispose();                                      // disposed by hand inside the scope
            early.Dispose();
            Assert.Equal(1, scope.DisposablesCount);
            scope.Dispose();
            scope.Dispose();                                      // twice is harmless
        }
        Assert.True(outside.IsInvalid);
        Assert.Equal(baseline, LiveTensorCount);

        var kept = ones(2);
        using (NewDisposeScope()) _ = kept + 1;
        Assert.False(kept.IsInvalid);
        kept.Dispose();
        Assert.Equal(baseline, LiveTensorCount);
    }

    [Fact]
    public void ScopesCloseInReverseOrder()
    {
        var baseline = SettledLiveCount();
        var outer = NewDisposeScope();
        var a = zeros(1);
        var inner = NewDisposeScope();
        var b = zeros(1);
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        Assert.False(a.IsInvalid);
        inner.Dispose();
        Assert.True(b.IsInvalid);
        var c = zeros(1);                                         // the outer scope is current again
        Assert.Same(outer, c.OwningScope);
        outer.Dispose();                                          // in order now: it closes and frees its tensors
        Assert.True(a.IsInvalid);
        Assert.True(c.IsInvalid);
        using var d = zeros(1);
        Assert.Null(d.OwningScope);                               // no scope is open any more
        d.Dispose();
        Assert.Equal(baseline, LiveTensorCount);
    }

    [Fact]
    public void ScopesArePerThread()
    {
        var baseline = SettledLiveCount();
        Tensor? fromOtherThread = null;
        using (NewDisposeScope())
        {
            var thread = new Thread(() => fromOtherThread = zeros(2));
            thread.Start();
            thread.Join();
        }
        Assert.False(fromOtherThread!.IsInvalid);
        fromOtherThread.Dispose();
        Assert.Equal(baseline, LiveTensorCount);
    }

    [Fact]
    public void FinalizerFreesForgottenTensors()
    {
        var baseline = SettledLiveCount();
        MakeGarbage();
        Assert.Equal(baseline, SettledLiveCount());

        static void MakeGarbage()
        {
            for (var i = 0; i < 100; i++) _ = ones(4) * 2;
        }
    }

    [Fact]
    public void ModulesAndOptimizersOwnTheirTensors()
    {
        var baseline = SettledLiveCount();
        using (var scope = NewDisposeScope())
        {
            var lin = new nn.Linear(3, 2);                        // parameters leave the scope: the module owns them
            var opt = new optim.AdamW(lin.parameters());
            lin.forward(ones(4, 3)).sum().backward();
            opt.step();
            scope.Dispose();
            Assert.False(lin.weight.IsInvalid);
            Assert.Equal(baseline + 2 + 4, LiveTensorCount);      // 2 parameters, 2 moments each (grads are not handles)
            lin.zero_grad();
            Assert.Equal(baseline + 2 + 4, LiveTensorCount);
            opt.Dispose();
            Assert.Equal(baseline + 2, LiveTensorCount);
            lin.Dispose();
        }
        Assert.Equal(baseline, LiveTensorCount);
    }

    [Fact]
    public void LibraryHelpersFreeTheirTemporariesWithoutTheFinalizer()
    {
        using var lin = new nn.Linear(3, 2);
        using var opt = new optim.AdamW(lin.parameters());
        using (var s = NewDisposeScope())
        {
            lin.forward(ones(4, 3)).sum().backward();
            opt.step();
        }
        var baseline = SettledLiveCount();
        GC.TryStartNoGCRegion(16 * 1024 * 1024);                // no finalizer can hide a leak below
        try
        {
            lin.to(float64);
            lin.to(float32);
            lin.to(CPU, float32);
            var state = opt.state_dict();
            opt.load_state_dict(state);
            foreach (var t in state.Values) t.Dispose();
            var sd = lin.state_dict();
            lin.load_state_dict(sd);
            foreach (var t in sd.Values) t.Dispose();
            nn.utils.clip_grad_norm_(lin.parameters(), 0.1);
            using (var x = ones(2, 3))
            {
                using (var y = nn.functional.rms_norm(x, null)) { }
                using (var y = x[0, 1..]) { }
                using (var mask = x.gt(0))
                using (var y = x[mask]) { }
                using (var row = x[1, 1..]) x[0, 1..] = row;
                x.index_put_(new TensorIndex[] { 0 }, 5);
                using (var y = tensor(new[] { 1f }, dtype: float64)) { }
                using (var y = nn.functional.scaled_dot_product_attention(x, x, x)) { }
            }
            Assert.Equal(baseline, LiveTensorCount);
        }
        finally
        {
            if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }
}
