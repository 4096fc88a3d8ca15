namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// The policy side of <see cref="PickleMachine"/>: what globals resolve to, what calling them means, what persistent
/// ids load, and what <c>BUILD</c> may do. The machine itself never runs anything the host does not provide.
/// </summary>
/// <remarks>Implementations throw <see cref="UnsafePickleException"/> for refusals and
/// <see cref="TorchCheckpointFormatException"/> for malformed input; the machine adds the opcode and offset.</remarks>
internal interface IPickleHost
{
    /// <summary>Resolves <c>module.name</c> from <c>GLOBAL</c>/<c>STACK_GLOBAL</c>, or refuses it.</summary>
    object ResolveGlobal(string module, string name);

    /// <summary>Applies <c>REDUCE</c>: calls <paramref name="callable"/> with <paramref name="arguments"/>, or refuses.</summary>
    object? Call(object? callable, PickleTuple arguments);

    /// <summary>Applies <c>BINPERSID</c>: loads the object a persistent id refers to.</summary>
    object PersistentLoad(object? persistentId);

    /// <summary>Applies <c>BUILD</c>: sets <paramref name="state"/> on <paramref name="target"/>, or refuses.</summary>
    void Build(object? target, object? state);
}
