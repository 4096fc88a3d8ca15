using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// dictionary_learning / DLM-Scope (SAE4DLM) trainer folders: <c>ae.pt</c> (a torch.save state dict, read with the
/// restricted <see cref="TorchPickleReader"/>) and <c>config.json</c> ({"trainer": …, "buffer": …}).
/// </summary>
public static class DictionaryLearningFormat
{
    /// <summary>Loads a trainer folder (TopK, BatchTopK, JumpReLU and standard autoencoders).</summary>
    public static SparseAutoencoder Load(string folder)
    {
        var configPath = Path.Combine(folder, "config.json");
        var root = SaeJson.Load(configPath);
        var trainer = root.Object("trainer") ?? throw new SaeFormatException($"{configPath}: missing 'trainer' object");
        var buffer = root.Object("buffer");
        var dictClass = trainer.String("dict_class") ?? throw new SaeFormatException($"{configPath}: missing trainer.dict_class");
        var statePath = Path.Combine(folder, "ae.pt");
        if (!File.Exists(statePath)) throw new SaeFormatException($"SAE weights not found: {statePath}");
        IReadOnlyDictionary<string, PickledTensor> state;
        try
        {
            state = TorchPickleReader.ReadStateDict(statePath);
        }
        catch (TorchCheckpointFormatException e)
        {
            throw new SaeFormatException($"{statePath}: {e.Message}", e);
        }
        var metadata = new SaeMetadata
        {
            ModelName = trainer.String("lm_name"),
            Layer = trainer.OptionalInt("layer"),
            HookName = trainer.String("submodule_name"),
            PositionPolicy = buffer?.String("dlm_mask_policy"),
            MaskRateMin = buffer?.OptionalDouble("dlm_t_min"),
            MaskRateMax = buffer?.OptionalDouble("dlm_t_max"),
            ContextSize = buffer?.OptionalInt("ctx_len"),
        };
        using var scope = NewDisposeScope();
        Tensor Get(params string[] names)
        {
            foreach (var name in names)
                if (state.TryGetValue(name, out var t)) return ToTensor(t);
            throw new SaeFormatException($"{statePath}: missing tensor '{names[0]}' (a {dictClass} state dict)");
        }
        var weights = new Dictionary<string, Tensor>();
        SaeConfig config;
        switch (dictClass)
        {
            case "AutoEncoderTopK":
            case "BatchTopKSAE":
                weights["W_enc"] = Get("encoder.weight").t();
                weights["b_enc"] = Get("encoder.bias");
                weights["W_dec"] = Get("decoder.weight").t();
                weights["b_dec"] = Get("b_dec");
                if (state.ContainsKey("threshold")) weights["threshold"] = Get("threshold");
                var k = state.TryGetValue("k", out var kTensor) ? (int)kTensor.ToScalarInt64() : trainer.Int("k");
                config = new SaeConfig
                {
                    DIn = (int)weights["W_enc"].size(0), DSae = (int)weights["W_enc"].size(1), K = k,
                    Architecture = dictClass == "BatchTopKSAE" ? SaeArchitecture.BatchTopK : SaeArchitecture.TopK,
                    ApplyBDecToInput = true, Metadata = metadata,
                };
                break;
            case "JumpReluAutoEncoder":
                weights["W_enc"] = Get("W_enc");
                weights["b_enc"] = Get("b_enc");
                weights["W_dec"] = Get("W_dec");
                weights["b_dec"] = Get("b_dec");
                weights["threshold"] = Get("threshold");
                config = new SaeConfig
                {
                    DIn = (int)weights["W_enc"].size(0), DSae = (int)weights["W_enc"].size(1),
                    Architecture = SaeArchitecture.JumpReLU, ApplyBDecToInput = false, Metadata = metadata,
                };
                break;
            case "AutoEncoder":
                weights["W_enc"] = Get("encoder.weight").t();
                weights["b_enc"] = Get("encoder.bias");
                weights["W_dec"] = Get("decoder.weight").t();
                weights["b_dec"] = Get("bias");
                config = new SaeConfig
                {
                    DIn = (int)weights["W_enc"].size(0), DSae = (int)weights["W_enc"].size(1),
                    Architecture = SaeArchitecture.Standard, ApplyBDecToInput = true, Metadata = metadata,
                };
                break;
            default:
                throw new SaeFormatException($"{configPath}: dict_class '{dictClass}' is not supported (AutoEncoderTopK, BatchTopKSAE, JumpReluAutoEncoder, AutoEncoder)");
        }
        if (trainer.OptionalInt("activation_dim") is { } dim && dim != config.DIn)
            throw new SaeFormatException($"{configPath}: trainer.activation_dim {dim} contradicts the weights (d_in {config.DIn})");
        if (trainer.OptionalInt("dict_size") is { } size && size != config.DSae)
            throw new SaeFormatException($"{configPath}: trainer.dict_size {size} contradicts the weights (d_sae {config.DSae})");
        return SaeLoader.Build(config, weights, folder);
    }

    private static Tensor ToTensor(PickledTensor t)
    {
        var shape = t.Shape.ToArray();
        return t.DType.IsFloatingPoint()
            ? tensor(t.ToFloat32(), shape)
            : tensor(t.ToInt64(), shape).to(ScalarType.Float32);
    }
}
