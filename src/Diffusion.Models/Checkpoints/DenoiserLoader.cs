using DiffusionSteering.Diffusion.Models.Architectures.Dream;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Architectures.Mdlm;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Checkpoints;

/// <summary>How to load a checkpoint.</summary>
public sealed record DenoiserLoadOptions
{
    /// <summary>Dtype of the floating-point weights; null keeps the checkpoint's <c>torch_dtype</c> (or the stored dtype).</summary>
    public ScalarType? DType { get; init; }

    /// <summary>Device to load onto (default CPU).</summary>
    public Device? Device { get; init; }

    /// <summary>Load even when config.json has keys outside the family's known schema (default false: such keys throw).</summary>
    public bool AllowUnknownConfigKeys { get; init; }

    /// <summary>
    /// When the weights are loaded onto the CPU in the dtype they are stored in (e.g. bf16 kept as bf16), view the
    /// memory-mapped safetensors files instead of copying them (default true): loading is nearly instant and the
    /// weights take their size in memory once instead of twice at the peak. The mapping is copy-on-write (changing a
    /// weight never changes the file) and lives as long as the model; do not truncate or rewrite the checkpoint files
    /// in place while the model is alive (replacing them by rename is safe). False copies every tensor.
    /// </summary>
    public bool MemoryMapWeights { get; init; } = true;
}

/// <summary>Builds one architecture from a checkpoint folder's config and weights.</summary>
/// <param name="folder">The checkpoint folder.</param>
/// <param name="config">Its parsed config.json.</param>
/// <param name="options">Load options (dtype, device, strictness).</param>
public delegate IDenoiser DenoiserFactory(string folder, ModelConfig config, DenoiserLoadOptions options);

/// <summary>
/// Opens Hugging Face checkpoint folders (<c>config.json</c> + safetensors) as <see cref="IDenoiser"/>s. The
/// architecture is picked by <c>model_type</c> (case-insensitive), else by the first entry of <c>architectures</c>.
/// Register new architectures on an instance with <see cref="Register"/>.
/// </summary>
public sealed class DenoiserLoader
{
    private readonly Dictionary<string, DenoiserFactory> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A loader that knows nothing; see <see cref="CreateDefault"/> for one with the built-in families.</summary>
    public DenoiserLoader() { }

    /// <summary>A loader with LLaDA (<c>llada</c>/<c>LLaDAModelLM</c>), Dream (<c>Dream</c>/<c>DreamModel</c>) and MDLM (<c>mdlm</c>/<c>MDLM</c>).</summary>
    public static DenoiserLoader CreateDefault()
    {
        var loader = new DenoiserLoader();
        loader.Register("llada", LladaModel.FromCheckpoint);
        loader.Register("LLaDAModelLM", LladaModel.FromCheckpoint);
        loader.Register("Dream", DreamModel.FromCheckpoint);
        loader.Register("DreamModel", DreamModel.FromCheckpoint);
        loader.Register("mdlm", MdlmModel.FromCheckpoint);
        loader.Register("MDLM", MdlmModel.FromCheckpoint);
        return loader;
    }

    /// <summary>The model types and architecture names this loader knows.</summary>
    public IReadOnlyCollection<string> KnownTypes => _factories.Keys.ToList();

    /// <summary>Registers (or replaces) the factory for a <c>model_type</c> or architecture name.</summary>
    public DenoiserLoader Register(string modelTypeOrArchitecture, DenoiserFactory factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelTypeOrArchitecture);
        ArgumentNullException.ThrowIfNull(factory);
        _factories[modelTypeOrArchitecture] = factory;
        return this;
    }

    /// <summary>Loads the checkpoint in <paramref name="folder"/>.</summary>
    public IDenoiser Load(string folder, DenoiserLoadOptions? options = null)
    {
        if (!Directory.Exists(folder)) throw new CheckpointException($"checkpoint folder not found: {folder}");
        var config = ModelConfig.Load(Path.Combine(folder, "config.json"));
        var factory = Resolve(config);
        return factory(folder, config, options ?? new DenoiserLoadOptions());
    }

    private DenoiserFactory Resolve(ModelConfig config)
    {
        var modelType = config.GetOptionalString("model_type");
        if (modelType is not null && _factories.TryGetValue(modelType, out var byType)) return byType;
        foreach (var architecture in config.GetStringList("architectures"))
            if (_factories.TryGetValue(architecture, out var byArchitecture)) return byArchitecture;
        var known = string.Join(", ", _factories.Keys.OrderBy(k => k, StringComparer.OrdinalIgnoreCase));
        throw new CheckpointException(
            $"{config.Source}: unknown model_type '{modelType ?? "(none)"}' (architectures: {string.Join(", ", config.GetStringList("architectures"))}); known: {known}");
    }

    /// <summary>The dtype to load with: the option, else config <c>torch_dtype</c>, else float32.</summary>
    public static ScalarType ResolveDType(ModelConfig config, DenoiserLoadOptions options)
    {
        if (options.DType is { } explicitType)
        {
            if (!explicitType.IsFloatingPoint()) throw new ArgumentException($"weights dtype must be floating point, got {explicitType}");
            return explicitType;
        }
        return config.GetOptionalString("torch_dtype") switch
        {
            null or "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            "float16" => ScalarType.Float16,
            "float64" => ScalarType.Float64,
            var other => throw new CheckpointException($"{config.Source}: unsupported torch_dtype '{other}'"),
        };
    }
}
