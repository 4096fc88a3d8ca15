namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>An allow-listed global resolved from a torch pickle. It is a token, not code: nothing is looked up or run.</summary>
/// <param name="Kind">What the global stands for.</param>
/// <param name="QualifiedName">The <c>module.name</c> it was spelled as, for messages.</param>
/// <param name="DType">For <see cref="TorchGlobalKind.StorageClass"/> and <see cref="TorchGlobalKind.DType"/>: the
/// element type (<see cref="TorchDType.UInt8"/> for <c>UntypedStorage</c>).</param>
internal sealed record TorchGlobal(TorchGlobalKind Kind, string QualifiedName, TorchDType DType = TorchDType.UInt8)
{
    /// <summary>Whether this is a callable the reader knows how to apply under REDUCE.</summary>
    internal bool IsCallable => Kind is not (TorchGlobalKind.StorageClass or TorchGlobalKind.DType);

    /// <inheritdoc />
    public override string ToString() => $"global '{QualifiedName}'";
}
