namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// The torch state-dict policy for <see cref="PickleMachine"/>: resolves globals against
/// <see cref="TorchGlobalAllowList"/>, applies the tensor rebuild functions and <c>OrderedDict()</c> as data
/// transformations, and loads storages named by <c>('storage', type, key, location, numel)</c> persistent ids.
/// </summary>
internal sealed class TorchPickleHost : IPickleHost
{
    private readonly Func<string, string, long, TorchStorage> _loadStorage;

    /// <summary>Creates the host.</summary>
    /// <param name="loadStorage">Loads the record for (key, location, byte length), checking that its length matches.</param>
    internal TorchPickleHost(Func<string, string, long, TorchStorage> loadStorage) => _loadStorage = loadStorage;

    /// <inheritdoc />
    public object ResolveGlobal(string module, string name) => TorchGlobalAllowList.Resolve(module, name);

    /// <inheritdoc />
    public object? Call(object? callable, PickleTuple arguments)
    {
        if (callable is not TorchGlobal { IsCallable: true } function)
        {
            throw new UnsafePickleException(
                $"REDUCE may only call an allow-listed function, not {PickleMachine.Describe(callable)}; nothing was executed");
        }

        return function.Kind switch
        {
            TorchGlobalKind.OrderedDict => NewOrderedDict(arguments),
            TorchGlobalKind.RebuildTensorV2 => RebuildTensor(function, arguments, hasDTypeArgument: false),
            TorchGlobalKind.RebuildTensorV3 => RebuildTensor(function, arguments, hasDTypeArgument: true),
            TorchGlobalKind.RebuildParameter => RebuildParameter(function, arguments, expectedCount: 3),
            TorchGlobalKind.RebuildParameterWithState => RebuildParameter(function, arguments, expectedCount: 4),
            _ => throw new UnsafePickleException($"{function} is not callable"),
        };
    }

    /// <inheritdoc />
    public object PersistentLoad(object? persistentId)
    {
        if (persistentId is not PickleTuple { Count: 5 } id || id[0] is not "storage")
        {
            throw new TorchCheckpointFormatException(
                $"persistent id {PickleMachine.Describe(persistentId)} is not ('storage', type, key, location, numel)");
        }
        if (id[1] is not TorchGlobal { Kind: TorchGlobalKind.StorageClass or TorchGlobalKind.DType } storageType)
        {
            throw new TorchCheckpointFormatException(
                $"storage type {PickleMachine.Describe(id[1])} is not a torch storage class or dtype");
        }
        string key = id[2] switch
        {
            string s when s.Length > 0 => s,
            long l when l >= 0 => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw new TorchCheckpointFormatException($"storage key {PickleMachine.Describe(id[2])} is not a non-empty string"),
        };
        if (id[3] is not string location)
        {
            throw new TorchCheckpointFormatException($"storage location {PickleMachine.Describe(id[3])} is not a string");
        }
        if (id[4] is not long numel || numel < 0)
        {
            throw new TorchCheckpointFormatException($"storage element count {PickleMachine.Describe(id[4])} is not a non-negative int");
        }

        long byteLength;
        try
        {
            byteLength = checked(numel * storageType.DType.ElementSize());
        }
        catch (OverflowException ex)
        {
            throw new TorchCheckpointFormatException($"storage '{key}' declares {numel} elements, which overflows", ex);
        }
        return new TypedStorageView(_loadStorage(key, location, byteLength), storageType.DType);
    }

    /// <inheritdoc />
    public void Build(object? target, object? state)
    {
        // pickle writes an OrderedDict that carries attributes (nn.Module.state_dict() sets `_metadata`) as
        // REDUCE + SETITEMS + BUILD(attribute dict). The attributes are module versions, not weights: drop them.
        if (target is not PickleDict { IsOrderedDict: true })
        {
            throw new UnsafePickleException(
                $"BUILD is only allowed on a collections.OrderedDict, not on {PickleMachine.Describe(target)}");
        }
        if (state is not (null or PickleDict))
        {
            throw new UnsafePickleException(
                $"BUILD on an OrderedDict must carry an attribute dict, not {PickleMachine.Describe(state)}");
        }
    }

    private static PickleDict NewOrderedDict(PickleTuple arguments)
    {
        if (arguments.Count != 0)
        {
            throw new TorchCheckpointFormatException(
                $"collections.OrderedDict is only supported with no arguments, got {arguments.Count}");
        }
        return new PickleDict(isOrderedDict: true);
    }

    private static PickledTensor RebuildTensor(TorchGlobal function, PickleTuple args, bool hasDTypeArgument)
    {
        int required = hasDTypeArgument ? 7 : 6;
        if (args.Count != required && args.Count != required + 1)
        {
            throw new TorchCheckpointFormatException(
                $"{function} takes {required} or {required + 1} arguments, got {args.Count}");
        }
        if (args[0] is not TypedStorageView storage)
        {
            throw new TorchCheckpointFormatException(
                $"{function} needs a storage loaded by a persistent id, got {PickleMachine.Describe(args[0])}");
        }
        long offset = ToLong(args[1], function, "storage_offset");
        long[] shape = ToLongArray(args[2], function, "size");
        long[] strides = ToLongArray(args[3], function, "stride");
        if (args[4] is not bool requiresGrad)
        {
            throw new TorchCheckpointFormatException($"{function} requires_grad is {PickleMachine.Describe(args[4])}, not a bool");
        }
        if (args[5] is not PickleDict)
        {
            throw new TorchCheckpointFormatException(
                $"{function} backward_hooks is {PickleMachine.Describe(args[5])}, not an OrderedDict");
        }

        TorchDType dtype = storage.DType;
        if (hasDTypeArgument)
        {
            if (args[6] is not TorchGlobal { Kind: TorchGlobalKind.DType } dtypeGlobal)
            {
                throw new TorchCheckpointFormatException($"{function} dtype is {PickleMachine.Describe(args[6])}, not a torch dtype");
            }
            dtype = dtypeGlobal.DType;
        }
        int metadataIndex = required;
        if (args.Count > metadataIndex && args[metadataIndex] is not (null or PickleDict))
        {
            throw new TorchCheckpointFormatException(
                $"{function} metadata is {PickleMachine.Describe(args[metadataIndex])}, not a dict");
        }

        return PickledTensor.Create(dtype, shape, strides, offset, storage.Storage, requiresGrad);
    }

    /// <remarks>The extra Python attributes of <c>_rebuild_parameter_with_state</c> are dropped.</remarks>
    private static PickledTensor RebuildParameter(TorchGlobal function, PickleTuple args, int expectedCount)
    {
        if (args.Count != expectedCount)
        {
            throw new TorchCheckpointFormatException($"{function} takes {expectedCount} arguments, got {args.Count}");
        }
        if (args[0] is not PickledTensor tensor)
        {
            throw new TorchCheckpointFormatException($"{function} needs a tensor, got {PickleMachine.Describe(args[0])}");
        }
        if (args[1] is not bool requiresGrad)
        {
            throw new TorchCheckpointFormatException($"{function} requires_grad is {PickleMachine.Describe(args[1])}, not a bool");
        }
        if (args[2] is not PickleDict)
        {
            throw new TorchCheckpointFormatException(
                $"{function} backward_hooks is {PickleMachine.Describe(args[2])}, not an OrderedDict");
        }
        return tensor.WithRequiresGrad(requiresGrad);
    }

    private static long ToLong(object? value, TorchGlobal function, string what) =>
        value as long? ?? throw new TorchCheckpointFormatException(
            $"{function} {what} is {PickleMachine.Describe(value)}, not an int");

    private static long[] ToLongArray(object? value, TorchGlobal function, string what)
    {
        if (value is not PickleTuple tuple)
        {
            throw new TorchCheckpointFormatException($"{function} {what} is {PickleMachine.Describe(value)}, not a tuple");
        }
        var result = new long[tuple.Count];
        for (int i = 0; i < result.Length; i++) result[i] = ToLong(tuple[i], function, what + " item");
        return result;
    }

    /// <summary>What a persistent id loads: a storage record seen through the element type its id declared.</summary>
    private sealed record TypedStorageView(TorchStorage Storage, TorchDType DType)
    {
        public override string ToString() => $"{DType.TorchName()} {Storage}";
    }
}
