using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Safetensors;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Benchmarks;

/// <summary>
/// Peak resident memory of <c>DenoiserLoader.CreateDefault().Load(folder)</c> on a random bf16 LLaDA-architecture
/// checkpoint of about <c>--size-mb</c> MB: keeping bf16 (default options, zero-copy), keeping bf16 with
/// <c>MemoryMapWeights = false</c> (every tensor copied), and converting to float32. Each load runs in a fresh
/// child process (this program's hidden <c>load-memory-child</c> command) that resets its peak RSS just before the load
/// and reads <c>VmHWM</c> from <c>/proc/self/status</c> just after it.
/// </summary>
internal static class LoadMemoryBenchmark
{
    private const int DModel = 1024, Heads = 16, MlpHidden = 2816;

    public static void Run(Options options)
    {
        var sizeMb = options.Int("size-mb", 1000);
        var keep = options.String("dir");
        var folder = keep ?? Path.Combine(Path.GetTempPath(), "ds-load-memory-" + Guid.NewGuid().ToString("N"));
        try
        {
            var config = ConfigFor(sizeMb);
            var weightBytes = EnsureCheckpoint(folder, config, options.Int("threads", 2));
            Console.WriteLine($"checkpoint: {folder}: LLaDA-architecture, d_model {config.DModel}, {config.NLayers} layers, " +
                              $"mlp {config.MlpHiddenSize}, vocab {config.EmbeddingSize}: {weightBytes / 1e6:F1} MB of bf16 weights");
            foreach (var mode in new[] { "bf16", "bf16-copy", "fp32" })
            {
                var result = RunChild(folder, mode);
                Console.WriteLine(FormatLine(mode, weightBytes, result));
            }
        }
        finally
        {
            if (keep is null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>One result line; reference/load-memory.py prints the same format.</summary>
    public static string FormatLine(string mode, long weightBytes, IReadOnlyDictionary<string, long> r)
    {
        var peak = r["peak_kb"] * 1024.0;
        var baseline = r["baseline_kb"] * 1024.0;
        var loaded = r["loaded_bytes"];
        var peakUsed = r["peak_used_kb"] * 1024.0;
        return string.Create(CultureInfo.InvariantCulture,
            $"load-memory {mode}: weights {weightBytes / 1e6:F0} MB, loaded {loaded / 1e6:F0} MB in {r["milliseconds"] / 1e3:F2} s; " +
            $"baseline RSS {baseline / 1e6:F0} MB; peak during load +{(peak - baseline) / 1e6:F0} MB = {(peak - baseline) / weightBytes:F2}x weight bytes; " +
            $"peak after reading every weight +{(peakUsed - baseline) / 1e6:F0} MB = {(peakUsed - baseline) / weightBytes:F2}x " +
            $"(anon {r["rss_anon_kb"] * 1024.0 / 1e6:F0} MB, file-backed {r["rss_file_kb"] * 1024.0 / 1e6:F0} MB)");
    }

    /// <summary>A LLaDA-architecture config of about <paramref name="sizeMb"/> MB in bf16 (d_model 1024, vocab 50258).</summary>
    public static LladaConfig ConfigFor(int sizeMb)
    {
        const long vocab = ForwardBenchmark.Vocab;
        long embeddingBytes = 2 * vocab * DModel * 2;
        long layerBytes = (4L * DModel * DModel + 3L * DModel * MlpHidden + 2 * DModel) * 2;
        var layers = (int)Math.Max(1, Math.Round((sizeMb * 1e6 - embeddingBytes) / layerBytes));
        return new LladaConfig
        {
            DModel = DModel, NLayers = layers, NHeads = Heads, NKvHeads = Heads, MlpHiddenSize = MlpHidden,
            EmbeddingSize = (int)vocab, MaskTokenId = vocab - 1, MaxSequenceLength = 4096, RopeTheta = 500000, RmsNormEps = 1e-5,
        };
    }

    /// <summary>Writes config.json (LLaDA's key names) and model.safetensors (random bf16) unless already there.</summary>
    private static long EnsureCheckpoint(string folder, LladaConfig config, int threads)
    {
        Directory.CreateDirectory(folder);
        var configJson = ConfigJson(config).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var configPath = Path.Combine(folder, "config.json");
        var weightsPath = Path.Combine(folder, "model.safetensors");
        using var model = new LladaModel(config, META, ScalarType.BFloat16);
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var weightBytes = shapes.Values.Sum(s => s.Aggregate(2L, (a, b) => a * b));
        if (File.Exists(configPath) && File.ReadAllText(configPath) == configJson && File.Exists(weightsPath))
        {
            using var existing = SafetensorsFile.Open(weightsPath);
            if (existing.Tensors.Values.Sum(t => t.ByteLength) == weightBytes) return weightBytes;
        }
        set_num_threads(threads);
        manual_seed(0);
        var writer = new SafetensorsWriter();
        foreach (var (name, shape) in shapes)
        {
            writer.Add(name, SafetensorsDType.BF16, shape, stream =>
            {
                using var scope = NewDisposeScope();
                var value = name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("ln_f.weight", StringComparison.Ordinal)
                    ? ones(shape, ScalarType.BFloat16)
                    : (randn(shape) * 0.02).to(ScalarType.BFloat16);
                var bytes = new byte[value.numel() * 2];
                value.CopyTo(MemoryMarshal.Cast<byte, BFloat16>(bytes.AsSpan()));
                stream.Write(bytes);
            });
        }
        writer.Save(weightsPath);
        File.WriteAllText(configPath, configJson);
        return weightBytes;
    }

    /// <summary>config.json with the released LLaDA checkpoints' keys and values, sizes from <paramref name="c"/>.</summary>
    private static JsonObject ConfigJson(LladaConfig c) => new()
    {
        ["activation_type"] = "silu", ["alibi"] = false, ["alibi_bias_max"] = 8.0, ["architectures"] = new JsonArray("LLaDAModelLM"),
        ["attention_dropout"] = 0.0, ["attention_layer_norm"] = false, ["attention_layer_norm_with_affine"] = true,
        ["bias_for_layer_norm"] = false, ["block_group_size"] = 1, ["block_type"] = "llama", ["d_model"] = c.DModel,
        ["embedding_dropout"] = 0.0, ["embedding_size"] = c.EmbeddingSize, ["eos_token_id"] = c.EmbeddingSize - 2,
        ["flash_attention"] = false, ["include_bias"] = false, ["include_qkv_bias"] = false, ["init_cutoff_factor"] = null,
        ["init_device"] = "meta", ["init_fn"] = "mitchell", ["init_std"] = 0.02, ["input_emb_norm"] = false,
        ["layer_norm_type"] = "rms", ["layer_norm_with_affine"] = true, ["mask_token_id"] = c.MaskTokenId,
        ["max_sequence_length"] = c.MaxSequenceLength, ["mlp_hidden_size"] = c.MlpHiddenSize, ["mlp_ratio"] = 4,
        ["model_type"] = "llada", ["multi_query_attention"] = null, ["n_heads"] = c.NHeads, ["n_kv_heads"] = c.NKvHeads,
        ["n_layers"] = c.NLayers, ["pad_token_id"] = c.EmbeddingSize - 2, ["precision"] = "amp_bf16", ["residual_dropout"] = 0.0,
        ["rms_norm_eps"] = c.RmsNormEps, ["rope"] = true, ["rope_full_precision"] = true, ["rope_theta"] = c.RopeTheta,
        ["scale_logits"] = false, ["torch_dtype"] = "bfloat16", ["transformers_version"] = "4.46.2", ["use_cache"] = false,
        ["vocab_size"] = c.EmbeddingSize, ["weight_tying"] = false,
    };

    private static Dictionary<string, long> RunChild(string folder, string mode)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(LoadMemoryBenchmark).Assembly.Location);
        foreach (var a in new[] { "load-memory-child", folder, mode }) start.ArgumentList.Add(a);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the child process");
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"load-memory child ({mode}) failed with exit code {child.ExitCode}: {output}");
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"load-memory child printed no RESULT line: {output}");
        return line["RESULT ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('='))
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    /// <summary>The child: load once, report memory as <c>RESULT key=value …</c>.</summary>
    public static void Child(string folder, string mode)
    {
        // Initialise libtorch and the loader's code paths on something tiny so the baseline includes them.
        using (var warm = ones([2], ScalarType.BFloat16)) { using var f = warm.to(ScalarType.Float32); }
        _ = ModelConfig.Parse("{}");
        ResetPeak();
        var baseline = Status("VmRSS");
        var watch = Stopwatch.StartNew();
        // bf16: keep the stored dtype (default options: zero-copy); bf16-copy: the same with MemoryMapWeights = false;
        // fp32: convert to float32.
        var options = new DenoiserLoadOptions { DType = mode == "fp32" ? ScalarType.Float32 : null, MemoryMapWeights = mode != "bf16-copy" };
        using var model = DenoiserLoader.CreateDefault().Load(folder, options);
        var elapsed = watch.Elapsed;
        var peak = Status("VmHWM");
        var rss = Status("VmRSS");
        // Then read every weight once (as a forward pass would), so that lazily mapped weights count too.
        var module = (nn.Module)model;
        long loaded = 0;
        using (no_grad())
        {
            foreach (var p in module.parameters())
            {
                loaded += p.numel() * p.dtype.ElementSize();
                using var sum = p.sum();
            }
        }
        var peakUsed = Status("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT baseline_kb={baseline} peak_kb={peak} rss_kb={rss} peak_used_kb={peakUsed} rss_used_kb={Status("VmRSS")} " +
            $"rss_anon_kb={Status("RssAnon")} rss_file_kb={Status("RssFile")} loaded_bytes={loaded} milliseconds={(long)elapsed.TotalMilliseconds}"));
    }

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs).</summary>
    private static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");

    /// <summary>A kB field of /proc/self/status.</summary>
    public static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var parts = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
