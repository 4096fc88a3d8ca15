using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Architectures.Mdlm;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Benchmarks;

/// <summary>
/// Forward-pass latency of randomly initialised LLaDA-architecture and MDLM models (same computation as
/// reference/forward.py). fp32: float32 weights. bf16: LLaDA with its weights cast to bfloat16 (as LLaDA runs); MDLM
/// with float32 weights under bf16 autocast (as MDLM's reference runs). Timed under no_grad: median of
/// <c>repeats</c> forwards after <c>warmup</c> forwards.
/// </summary>
internal static class ForwardBenchmark
{
    public const int Vocab = 50258;

    /// <summary>LLaDA-architecture model of about 150M parameters (162.2M with the defaults).</summary>
    public static LladaConfig LladaBenchConfig(int mlpHidden) => new()
    {
        DModel = 768, NLayers = 12, NHeads = 12, NKvHeads = 12, MlpHiddenSize = mlpHidden, EmbeddingSize = Vocab,
        MaskTokenId = Vocab - 1, MaxSequenceLength = 4096, RopeTheta = 500000, RmsNormEps = 1e-5, WeightTying = false,
    };

    /// <summary>MDLM-OWT-sized DiT (kuleshov-group/mdlm-owt: "small" = GPT-2 124M backbone).</summary>
    public static MdlmConfig MdlmBenchConfig() => new()
    {
        HiddenDim = 768, NBlocks = 12, NHeads = 12, CondDim = 128, VocabSize = Vocab, ModelLength = 1024, TimeConditioning = false,
    };

    public static void Run(Options options)
    {
        var modelName = options.String("model", "llada");
        if (modelName is not ("llada" or "mdlm")) throw new ArgumentException($"--model must be llada or mdlm, got {modelName}");
        var threads = options.Int("threads", 2);
        set_num_threads(threads);
        if (options.String("check") is { } checkDir)
        {
            WriteCheck(modelName, checkDir);
            return;
        }
        var batch = options.Int("batch", 4);
        var length = options.Int("length", 256);
        var warmup = options.Int("warmup", 2);
        var repeats = options.Int("repeats", 7);
        var dtypes = ParseDTypes(options.String("dtype", "both"));

        manual_seed(0);
        using var model = CreateModel(modelName, options.Int("mlp-hidden", 2048));
        model.eval();
        var parameters = model.parameters().Sum(p => p.numel());
        using var ids = randint(0, Vocab, [batch, length]);
        var input = new DenoiserInput(ids);
        using var noGrad = no_grad();
        foreach (var dtype in dtypes)
        {
            Action forward;
            if (dtype == ScalarType.BFloat16 && modelName == "mdlm")
            {
                forward = () =>
                {
                    using var scope = NewDisposeScope();
                    using var amp = autocast(DeviceType.CPU, ScalarType.BFloat16);
                    model.Forward(input);
                };
            }
            else
            {
                if (model.DType != dtype) model.to(dtype);
                forward = () =>
                {
                    using var scope = NewDisposeScope();
                    model.Forward(input);
                };
            }
            var clock = options.String("clock", "wall");
            var seconds = Timing.MedianSeconds(forward, warmup, repeats, clock);
            Console.WriteLine(FormatLine(modelName, dtype, batch, length, threads, parameters, seconds) + (clock == "cpu" ? "  (CPU time)" : ""));
        }
    }

    /// <summary>One result line; reference/forward.py prints the same format.</summary>
    public static string FormatLine(string model, ScalarType dtype, int batch, int length, int threads, long parameters, double seconds) =>
        $"forward {model,-5} {dtype,-8} B={batch} L={length} threads={threads} params={parameters / 1e6:F2}M: {seconds * 1e3,9:F1} ms  {batch * length / seconds,8:F0} tok/s";

    private static ScalarType[] ParseDTypes(string value) => value switch
    {
        "fp32" => [ScalarType.Float32],
        "bf16" => [ScalarType.BFloat16],
        "both" => [ScalarType.Float32, ScalarType.BFloat16],
        _ => throw new ArgumentException($"--dtype must be fp32, bf16 or both, got {value}"),
    };

    private static DenoiserModule CreateModel(string name, int mlpHidden) => name == "llada"
        ? new LladaModel(LladaBenchConfig(mlpHidden))
        : new MdlmModel(MdlmBenchConfig());

    /// <summary>
    /// Writes a small model's float32 weights, its input ids and its logits in both precisions to
    /// <c>DIR/forward-check-MODEL.safetensors</c>; <c>reference/forward.py --check DIR</c> recomputes them.
    /// </summary>
    private static void WriteCheck(string modelName, string folder)
    {
        Directory.CreateDirectory(folder);
        manual_seed(1);
        using var scope = NewDisposeScope();
        const int vocab = 1000;
        DenoiserModule model;
        Dictionary<string, object> config;
        if (modelName == "llada")
        {
            var c = new LladaConfig
            {
                DModel = 128, NLayers = 2, NHeads = 2, NKvHeads = 2, MlpHiddenSize = 352, EmbeddingSize = vocab,
                MaskTokenId = vocab - 1, MaxSequenceLength = 256, RopeTheta = 500000, RmsNormEps = 1e-5,
            };
            model = new LladaModel(c);
            config = new() { ["d_model"] = c.DModel, ["n_layers"] = c.NLayers, ["n_heads"] = c.NHeads, ["mlp_hidden_size"] = c.MlpHiddenSize,
                ["vocab"] = vocab, ["rope_theta"] = c.RopeTheta, ["rms_norm_eps"] = c.RmsNormEps };
        }
        else
        {
            var c = new MdlmConfig { HiddenDim = 128, NBlocks = 2, NHeads = 2, CondDim = 32, VocabSize = vocab, ModelLength = 256 };
            model = new MdlmModel(c);
            config = new() { ["hidden_dim"] = c.HiddenDim, ["n_blocks"] = c.NBlocks, ["n_heads"] = c.NHeads, ["cond_dim"] = c.CondDim, ["vocab"] = vocab };
        }
        using (model)
        {
            model.eval();
            var tensors = model.state_dict();
            var ids = randint(0, vocab, [2, 32]);
            tensors["input_ids"] = ids;
            using (no_grad())
            {
                tensors["logits.Float32"] = model.Forward(new DenoiserInput(ids));
                if (modelName == "mdlm")
                {
                    using var amp = autocast(DeviceType.CPU, ScalarType.BFloat16);
                    tensors["logits.BFloat16"] = model.Forward(new DenoiserInput(ids));
                }
                else
                {
                    model.to(ScalarType.BFloat16);
                    tensors["logits.BFloat16"] = model.Forward(new DenoiserInput(ids));
                }
            }
            var path = Path.Combine(folder, $"forward-check-{modelName}.safetensors");
            SafetensorsTorch.Save(path, tensors, new Dictionary<string, string> { ["config"] = JsonSerializer.Serialize(config) });
            Console.WriteLine($"check: wrote {path} (float32 weights, input_ids, logits.Float32, logits.BFloat16 " +
                              $"[{(modelName == "mdlm" ? "bf16 autocast" : "bf16 weights")}] from the C# model)");
        }
    }
}
