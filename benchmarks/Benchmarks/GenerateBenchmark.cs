using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Benchmarks;

/// <summary>
/// Full generation with the published samplers on the forward benchmark's random models (same computation as
/// reference/generate.py): <c>--gen</c> new tokens after a random prompt of <c>--prompt</c> tokens, <c>--steps</c>
/// steps, batch <c>--batch</c>.
/// <list type="bullet">
/// <item>LLaDA: <see cref="LladaSampler"/> (generate.py), temperature <c>--temperature</c> (default 0), low-confidence
/// remasking, <c>--block</c> block length; bf16 = weights cast to bfloat16.</item>
/// <item>MDLM: <see cref="MdlmSampler"/> with the <c>ddpm</c> predictor (one forward per step; <c>ddpm_cache</c> would
/// skip a data-dependent number of them) and the final noise-removal forward; bf16 = float32 weights under bf16 autocast.</item>
/// </list>
/// <c>--hooks</c> also times the same generation with one read hook (an observer that requests the block output of
/// the middle layer every step) and one zero intervention (adds a zero vector at that site every step), alternating
/// plain and hooked runs, and prints the overhead.
/// </summary>
internal static class GenerateBenchmark
{
    public static void Run(Options options)
    {
        var modelName = options.String("model", "llada");
        if (modelName is not ("llada" or "mdlm")) throw new ArgumentException($"--model must be llada or mdlm, got {modelName}");
        var threads = options.Int("threads", 2);
        set_num_threads(threads);
        var batch = options.Int("batch", 4);
        var promptLength = options.Int("prompt", 64);
        var genLength = options.Int("gen", 64);
        var steps = options.Int("steps", 64);
        var blockLength = options.Int("block", 32);
        var warmup = options.Int("warmup", 1);
        var repeats = options.Int("repeats", 3);
        var clock = options.String("clock", "wall");
        var hooks = options.Flag("hooks");
        var temperature = options.Double("temperature", 0);   // LLaDA only: > 0 adds generate.py's float64 Gumbel noise
        var dtype = options.String("dtype", "bf16") switch
        {
            "fp32" => ScalarType.Float32,
            "bf16" => ScalarType.BFloat16,
            var other => throw new ArgumentException($"--dtype must be fp32 or bf16, got {other}"),
        };

        manual_seed(0);
        using var model = modelName == "llada"
            ? (DenoiserModule)new Diffusion.Models.Architectures.Llada.LladaModel(ForwardBenchmark.LladaBenchConfig(options.Int("mlp-hidden", 2048)))
            : new Diffusion.Models.Architectures.Mdlm.MdlmModel(ForwardBenchmark.MdlmBenchConfig());
        model.eval();
        var autocastBf16 = modelName == "mdlm" && dtype == ScalarType.BFloat16;
        if (!autocastBf16 && model.DType != dtype) model.to(dtype);
        using var prompt = randint(0, ForwardBenchmark.Vocab - 1, [batch, promptLength]);

        Func<SamplingRequest, SamplingResult> sample;
        if (modelName == "llada")
        {
            var sampler = new LladaSampler(new LladaSamplerOptions { Steps = steps, GenLength = genLength, BlockLength = blockLength, Temperature = temperature });
            sample = request => sampler.Sample(model, request);
        }
        else
        {
            var sampler = new MdlmSampler(new MdlmSamplerOptions { Length = promptLength + genLength, Steps = steps, Predictor = MdlmPredictor.Ddpm });
            sample = request => sampler.Sample(model, request);
        }

        var site = new ResidualSite(model.Spec.NumLayers / 2, HookPoint.ResidPost);
        using var zeroDirection = zeros([model.Spec.HiddenSize], autocastBf16 ? ScalarType.Float32 : dtype);
        SamplingRequest Request(bool hooked, Generator generator) => new()
        {
            PromptIds = prompt,
            Generator = generator,
            Observers = hooked ? [new ReadOneSite(site)] : [],
            Interventions = hooked ? [new ZeroIntervention(site, zeroDirection)] : [],
        };
        Action Generation(bool hooked) => () =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var amp = autocast(DeviceType.CPU, ScalarType.BFloat16, enabled: autocastBf16);
            using var generator = new Generator(0);
            using var result = sample(Request(hooked, generator));
        };

        var head = $"generate {modelName,-5} {dtype,-8} B={batch} prompt={promptLength} gen={genLength} steps={steps}" +
                   (modelName == "llada" ? $" block={blockLength}" + (temperature > 0 ? $" T={temperature}" : "") : " ddpm") + $" threads={threads}";
        if (!hooks)
        {
            var seconds = Timing.MedianSeconds(Generation(false), warmup, repeats, clock);
            Console.WriteLine(FormatLine(head, batch * genLength, seconds, clock));
            return;
        }
        // Alternate plain and hooked runs so that drifting machine load hits both alike.
        var (plain, hooked) = Timing.MedianSecondsAlternating(Generation(false), Generation(true), warmup, repeats, clock);
        Console.WriteLine(FormatLine(head, batch * genLength, plain, clock));
        Console.WriteLine(FormatLine(head + " +read hook +zero intervention", batch * genLength, hooked, clock));
        Console.WriteLine($"hook overhead: {(hooked / plain - 1) * 100:+0.0;-0.0}% (target ≤ 5%)");
    }

    /// <summary>One result line; reference/generate.py prints the same format.</summary>
    private static string FormatLine(string head, int newTokens, double seconds, string clock) =>
        $"{head}: {seconds * 1e3,9:F1} ms  {newTokens / seconds,7:F1} new tok/s" + (clock == "cpu" ? "  (CPU time)" : "");

    /// <summary>An observer that asks for one site's hidden state every step and reads it.</summary>
    private sealed class ReadOneSite(ResidualSite site) : ISamplerObserver
    {
        public IReadOnlyCollection<ResidualSite> HiddenStateRequests { get; } = [site];

        public void OnStep(SamplerStep step)
        {
            if (step.HiddenStates[site].size(0) < 1) throw new InvalidOperationException("no hidden state");
        }
    }

    /// <summary>Adds a zero vector at one site on every step: the cost of an intervention that changes nothing.</summary>
    private sealed class ZeroIntervention(ResidualSite site, Tensor direction) : IResidualIntervention
    {
        public IReadOnlyCollection<ResidualSite> Sites { get; } = [site];

        public Tensor? Apply(StepContext step, ResidualSite at, Tensor residual) => residual + direction;
    }
}
