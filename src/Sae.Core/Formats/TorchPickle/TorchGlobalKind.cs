namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>What an allow-listed global in a torch pickle stands for.</summary>
internal enum TorchGlobalKind
{
    /// <summary><c>collections.OrderedDict</c>: callable with no arguments; may receive an attribute dict via BUILD.</summary>
    OrderedDict,

    /// <summary><c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])</c>.</summary>
    RebuildTensorV2,

    /// <summary><c>torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])</c>.</summary>
    RebuildTensorV3,

    /// <summary><c>torch._utils._rebuild_parameter(tensor, requires_grad, hooks)</c>.</summary>
    RebuildParameter,

    /// <summary><c>torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state)</c>.</summary>
    RebuildParameterWithState,

    /// <summary>A storage class such as <c>torch.FloatStorage</c> or <c>torch.UntypedStorage</c>; not callable.</summary>
    StorageClass,

    /// <summary>A dtype such as <c>torch.float32</c>; not callable.</summary>
    DType,
}
