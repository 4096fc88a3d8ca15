using System.Collections.Frozen;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// The fixed set of globals a torch state-dict pickle may name. Everything else — <c>os.system</c>,
/// <c>builtins.eval</c>, <c>subprocess.Popen</c>, other torch functions — is refused.
/// </summary>
internal static class TorchGlobalAllowList
{
    private static readonly FrozenDictionary<string, TorchGlobal> Allowed = Build();

    /// <summary>Resolves <c>module.name</c>.</summary>
    /// <exception cref="UnsafePickleException">The global is not on the allow-list.</exception>
    internal static TorchGlobal Resolve(string module, string name)
    {
        string qualified = module + "." + name;
        if (Allowed.TryGetValue(qualified, out TorchGlobal? global)) return global;
        throw new UnsafePickleException(
            $"global '{PickleMachine.Printable(qualified)}' is not on the allow-list of a tensor state dict " +
            "(collections.OrderedDict, torch._utils._rebuild_tensor_v2/_v3, torch._utils._rebuild_parameter, " +
            "torch storage classes and dtypes); refusing to load, nothing was executed");
    }

    private static FrozenDictionary<string, TorchGlobal> Build()
    {
        var map = new Dictionary<string, TorchGlobal>(StringComparer.Ordinal);
        void Add(TorchGlobalKind kind, string qualified, TorchDType dtype = TorchDType.UInt8) =>
            map.Add(qualified, new TorchGlobal(kind, qualified, dtype));

        Add(TorchGlobalKind.OrderedDict, "collections.OrderedDict");
        Add(TorchGlobalKind.RebuildTensorV2, "torch._utils._rebuild_tensor_v2");
        Add(TorchGlobalKind.RebuildTensorV3, "torch._utils._rebuild_tensor_v3");
        Add(TorchGlobalKind.RebuildParameter, "torch._utils._rebuild_parameter");
        Add(TorchGlobalKind.RebuildParameterWithState, "torch._utils._rebuild_parameter_with_state");

        (string Storage, TorchDType DType)[] storages =
        [
            ("FloatStorage", TorchDType.Float32), ("DoubleStorage", TorchDType.Float64),
            ("HalfStorage", TorchDType.Float16), ("BFloat16Storage", TorchDType.BFloat16),
            ("LongStorage", TorchDType.Int64), ("IntStorage", TorchDType.Int32),
            ("ShortStorage", TorchDType.Int16), ("CharStorage", TorchDType.Int8),
            ("ByteStorage", TorchDType.UInt8), ("BoolStorage", TorchDType.Bool),
        ];
        foreach (var (storage, dtype) in storages) Add(TorchGlobalKind.StorageClass, "torch." + storage, dtype);
        Add(TorchGlobalKind.StorageClass, "torch.UntypedStorage", TorchDType.UInt8);
        Add(TorchGlobalKind.StorageClass, "torch.storage.UntypedStorage", TorchDType.UInt8);

        (string Name, TorchDType DType)[] dtypes =
        [
            ("float32", TorchDType.Float32), ("float", TorchDType.Float32),
            ("float64", TorchDType.Float64), ("double", TorchDType.Float64),
            ("float16", TorchDType.Float16), ("half", TorchDType.Float16),
            ("bfloat16", TorchDType.BFloat16),
            ("int64", TorchDType.Int64), ("long", TorchDType.Int64),
            ("int32", TorchDType.Int32), ("int", TorchDType.Int32),
            ("int16", TorchDType.Int16), ("short", TorchDType.Int16),
            ("int8", TorchDType.Int8), ("uint8", TorchDType.UInt8), ("bool", TorchDType.Bool),
        ];
        foreach (var (name, dtype) in dtypes) Add(TorchGlobalKind.DType, "torch." + name, dtype);

        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
