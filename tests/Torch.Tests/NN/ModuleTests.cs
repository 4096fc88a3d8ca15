using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.NN;

public class ModuleTests
{
    /// <summary>A small custom module: sub-modules and a parameter by RegisterComponents, buffers by hand.</summary>
    private sealed class TinyNet : nn.Module<Tensor, Tensor>
    {
        public readonly nn.Linear fc1;
        public readonly nn.LayerNorm norm;
        private readonly nn.Linear _head;                 // registered as "head"
        public readonly nn.Parameter scale;
        public readonly Tensor running;

        public TinyNet() : base(nameof(TinyNet))
        {
            fc1 = new nn.Linear(4, 3);
            norm = new nn.LayerNorm(3);
            _head = new nn.Linear(3, 2, hasBias: false);
            scale = new nn.Parameter(ones(2));
            RegisterComponents();
            running = zeros(2);
            register_buffer("running", running);
            register_buffer("steps", zeros([1], int64));
            register_buffer("scratch", zeros(2), persistent: false);
        }

        public nn.Linear head => _head;

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var h = norm.forward(fc1.forward(input)).relu();
            return (_head.forward(h) * scale + running).MoveToOuterDisposeScope();
        }
    }

    private static readonly string[] ParameterNames = ["fc1.weight", "fc1.bias", "norm.weight", "norm.bias", "head.weight", "scale"];

    [Fact]
    public void NamedParametersBuffersAndChildren()
    {
        using var net = new TinyNet();
        Assert.Equal(ParameterNames.Order(), net.named_parameters().Select(p => p.name).Order());
        Assert.Equal(6, net.parameters().Count());
        Assert.All(net.parameters(), p => Assert.True(p.requires_grad));
        Assert.Equal(new[] { "scale" }, net.named_parameters(recurse: false).Select(p => p.name));
        Assert.Same(net.fc1.weight, net.named_parameters().Single(p => p.name == "fc1.weight").parameter);
        Assert.Equal(new[] { 3L, 4 }, net.named_parameters().Single(p => p.name == "fc1.weight").parameter.shape);

        Assert.Equal(new[] { "running", "scratch", "steps" }, net.named_buffers().Select(b => b.name).Order());
        Assert.Equal(new[] { "running", "steps" }, net.named_buffers(persistentOnly: true).Select(b => b.name).Order());
        Assert.Equal(new[] { "fc1", "head", "norm" }, net.named_children().Select(c => c.name).Order());
        Assert.Equal(new[] { "", "fc1", "head", "norm" }, net.named_modules().Select(m => m.name).Order());
        Assert.Equal("TinyNet", net.name);

        using var scope = NewDisposeScope();
        var sd = net.state_dict();
        Assert.Equal(ParameterNames.Concat(["running", "steps"]).Order(), sd.Keys.Order());
        Assert.All(sd.Values, t => Assert.False(t.requires_grad));
        Assert.Equal(new long[] { 2, 2 }, net.forward(ones(2, 4)).shape);
    }

    [Fact]
    public void TrainEvalPropagates()
    {
        using var net = new TinyNet();
        Assert.True(net.training);
        net.eval();
        Assert.All(net.named_modules(), m => Assert.False(m.module.training));
        net.train();
        Assert.All(net.named_modules(), m => Assert.True(m.module.training));
        net.train(false);
        Assert.False(net.head.training);
    }

    [Fact]
    public void ToDtypeConvertsFloatingStateInPlace()
    {
        using var net = new TinyNet();
        var weight = net.fc1.weight;
        var before = weight.data<float>();
        net.head.weight.requires_grad = false;
        net.to(float64);
        Assert.Same(weight, net.fc1.weight);                      // same objects, new native tensors
        Assert.All(net.parameters(), p => Assert.Equal(float64, p.dtype));
        Assert.Equal(before.Select(v => (double)v), weight.data<double>());
        Assert.True(net.fc1.weight.requires_grad);
        Assert.False(net.head.weight.requires_grad);              // flags survive
        Assert.True(net.fc1.weight.is_leaf);
        var buffers = net.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Assert.Equal(float64, buffers["running"].dtype);
        Assert.Equal(int64, buffers["steps"].dtype);              // integers are left alone
        using var scope = NewDisposeScope();
        var y = net.forward(ones([2, 4], float64));
        Assert.Equal(float64, y.dtype);
        y.sum().backward();
        Assert.Equal(float64, net.fc1.weight.grad!.dtype);
        net.to(CPU, float32);
        Assert.All(net.parameters(), p => Assert.Equal(float32, p.dtype));
    }

    [Fact]
    public void StateDictRoundTrip()
    {
        using var a = new TinyNet();
        using var b = new TinyNet();
        using var scope = NewDisposeScope();
        a.running.fill_(0.5);
        var x = randn(3, 4);
        Assert.NotEqual(a.forward(x).data<float>(), b.forward(x).data<float>());
        var (missing, unexpected) = b.load_state_dict(a.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        foreach (var (name, p) in a.named_parameters())
            Assert.Equal(p.data<float>(), b.named_parameters().Single(q => q.name == name).parameter.data<float>());
        Assert.Equal(a.forward(x).data<float>(), b.forward(x).data<float>());
        Assert.Equal(new[] { 0.5f, 0.5f }, b.running.data<float>());
        // b holds copies: changing a afterwards does not change b.
        using (no_grad()) a.fc1.weight.add_(1);
        Assert.NotEqual(a.fc1.weight.data<float>(), b.fc1.weight.data<float>());
        Assert.True(b.fc1.weight.requires_grad);
        Assert.True(b.fc1.weight.is_leaf);

        // dtype conversion on load
        var sd64 = a.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.dtype == float32 ? kv.Value.to(float64) : kv.Value);
        b.load_state_dict(sd64);
        Assert.Equal(float32, b.fc1.weight.dtype);
        Assert.Equal(a.fc1.weight.data<float>(), b.fc1.weight.data<float>());
    }

    [Fact]
    public void StrictLoadNamesMissingUnexpectedAndMisShapedKeys()
    {
        using var a = new TinyNet();
        using var b = new TinyNet();
        using var scope = NewDisposeScope();
        var bBefore = b.fc1.weight.data<float>();
        var sd = a.state_dict();
        sd.Remove("fc1.bias");
        sd["bogus.weight"] = zeros(2);
        sd["norm.weight"] = ones(4);
        var ex = Assert.Throws<ArgumentException>(() => b.load_state_dict(sd));
        Assert.Contains("missing", ex.Message);
        Assert.Contains("fc1.bias", ex.Message);
        Assert.Contains("unexpected", ex.Message);
        Assert.Contains("bogus.weight", ex.Message);
        Assert.Contains("norm.weight", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        Assert.Equal(bBefore, b.fc1.weight.data<float>());      // nothing copied

        // Non-strict: missing and unexpected are reported, not errors; a shape mismatch still is.
        var misShaped = Assert.Throws<ArgumentException>(() => b.load_state_dict(sd, strict: false));
        Assert.Contains("norm.weight", misShaped.Message);
        Assert.DoesNotContain("fc1.bias", misShaped.Message);
        sd["norm.weight"] = ones(3);
        var (missing, unexpected) = b.load_state_dict(sd, strict: false);
        Assert.Equal(new[] { "fc1.bias" }, missing);
        Assert.Equal(new[] { "bogus.weight" }, unexpected);
        Assert.Equal(a.fc1.weight.data<float>(), b.fc1.weight.data<float>());

        var onlyMissing = a.state_dict();
        onlyMissing.Remove("steps");
        var ex2 = Assert.Throws<ArgumentException>(() => b.load_state_dict(onlyMissing));
        Assert.Contains("steps", ex2.Message);
        Assert.DoesNotContain("unexpected", ex2.Message);
    }

    [Fact]
    public void DisposeFreesParametersAndBuffers()
    {
        var net = new TinyNet();
        var w = net.fc1.weight;
        var buffer = net.running;
        net.Dispose();
        Assert.True(w.IsInvalid);
        Assert.True(buffer.IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => w.shape);
        net.Dispose();                                             // twice is harmless
    }

    [Fact]
    public void RegistrationRejectsBadNames()
    {
        using var net = new TinyNet();
        Assert.Throws<ArgumentException>(() => net.register_buffer("a.b", zeros(1)));
        Assert.Throws<ArgumentException>(() => net.register_parameter("", null));
        net.register_parameter("absent", null);                   // declared but absent: not listed
        Assert.DoesNotContain("absent", net.named_parameters().Select(p => p.name));
    }
}
