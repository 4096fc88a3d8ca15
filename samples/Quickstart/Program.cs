// Quickstart (foundation stage): a small tensor program end to end through the libtorch binding.
// It fits a 2-layer MLP to a noisy sine with autograd + AdamW, compares fp32 and bf16-autocast matmuls,
// and prints what it measured. Later stages replace this with the full steering mission on the embedded model.
using System.Diagnostics;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

set_num_threads(Math.Min(Environment.ProcessorCount, 2));
Console.WriteLine($"libtorch {__version__}, {get_num_threads()} threads, CUDA available: {cuda.is_available()}");

manual_seed(0);
using var generator = new Generator(1234);
using var x = linspace(-3, 3, 512).unsqueeze(1);
using var noise = randn([512, 1], generator: generator) * 0.05;
using var y = x.sin() + noise;

using var model = new Mlp(hidden: 64);
using var optimizer = new optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0);
var schedule = new optim.lr_scheduler.LambdaLR(optimizer, optim.lr_scheduler.WarmupCosine(20, 400, 0.05));
var watch = Stopwatch.StartNew();
for (var step = 0; step <= 400; step++)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = nn.functional.mse_loss(model.forward(x), y);
    loss.backward();
    nn.utils.clip_grad_norm_(model.parameters(), 1.0);
    optimizer.step();
    schedule.step();
    if (step % 100 == 0) Console.WriteLine($"step {step,4}  mse {loss.item<float>():F5}  lr {optimizer.LearningRate:G3}");
}
Console.WriteLine($"trained in {watch.Elapsed.TotalSeconds:F2} s; noise floor mse = {0.05 * 0.05:F5}");

using var a = randn(1024, 1024);
using var b = randn(1024, 1024);
using var exact = a.@double().matmul(b.@double());
using var fp32 = a.matmul(b);
Tensor bf16;
using (autocast(DeviceType.CPU, ScalarType.BFloat16)) bf16 = a.matmul(b);
using (bf16)
{
    using var errFp32 = (fp32.@double() - exact).abs().max();
    using var errBf16 = (bf16.@double() - exact).abs().max();
    Console.WriteLine($"1024² matmul max |error| vs float64: fp32 {errFp32.item<double>():E2}, bf16 autocast ({bf16.dtype}) {errBf16.item<double>():E2}");
}
Console.WriteLine($"live native tensors at exit: {LiveTensorCount}");

/// <summary>y = W2·gelu(W1·x + b1) + b2.</summary>
sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Linear _fc1;
    private readonly nn.Linear _fc2;

    public Mlp(int hidden) : base(nameof(Mlp))
    {
        _fc1 = new nn.Linear(1, hidden);
        _fc2 = new nn.Linear(hidden, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var h = _fc1.forward(input);
        using var a = h.gelu();
        return _fc2.forward(a);
    }
}
