using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Diffusion.Models.Hooks;

/// <summary>Named points of the residual stream inside each block.</summary>
public enum HookPoint
{
    /// <summary>The block's input (embedding output for block 0).</summary>
    ResidPre,
    /// <summary>After the attention residual add.</summary>
    ResidMid,
    /// <summary>The block's output (after the MLP residual add).</summary>
    ResidPost,
}

/// <summary>Where a hook fires and what it may know about the forward pass.</summary>
/// <param name="Layer">The block index.</param>
/// <param name="Point">The point inside the block.</param>
/// <param name="State">
/// Caller state for this forward pass (samplers put their step context here; null otherwise). See
/// <see cref="ResidualHooks.State"/>.
/// </param>
public readonly record struct HookContext(int Layer, HookPoint Point, object? State);

/// <summary>
/// A residual hook: reads <paramref name="residual"/> [B, L, d] and returns either null (leave it) or the tensor that
/// replaces it. The residual belongs to the forward pass: keep a copy (<c>clone()</c> + <c>DetachFromDisposeScope()</c>)
/// to hold it after the hook returns.
/// </summary>
public delegate Tensor? ResidualHook(in HookContext context, Tensor residual);

/// <summary>
/// The hooks registered on one denoiser. Adding returns a handle that removes the hook when disposed. With no hook at a
/// point, the forward pass does no extra work there.
/// </summary>
public sealed class ResidualHooks
{
    private readonly List<(int id, ResidualHook hook)>?[,] _hooks;
    private int _nextId;
    private int _count;

    /// <summary>Creates the registry for a model with <paramref name="numLayers"/> blocks.</summary>
    public ResidualHooks(int numLayers)
    {
        NumLayers = numLayers;
        _hooks = new List<(int, ResidualHook)>?[numLayers, 3];
    }

    /// <summary>Number of blocks.</summary>
    public int NumLayers { get; }

    /// <summary>True when at least one hook is registered.</summary>
    public bool Any => _count > 0;

    /// <summary>
    /// Caller state handed to hooks in <see cref="HookContext.State"/> (a sampler sets its step context here for the
    /// duration of each forward).
    /// </summary>
    public object? State { get; set; }

    /// <summary>Registers a hook at a block and point; hooks at the same place run in registration order.</summary>
    public IDisposable Add(int layer, HookPoint point, ResidualHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (layer < 0 || layer >= NumLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in [0, {NumLayers - 1}]");
        if (!Enum.IsDefined(point)) throw new ArgumentOutOfRangeException(nameof(point), point, "unknown hook point");
        var list = _hooks[layer, (int)point] ??= new List<(int, ResidualHook)>();
        var id = _nextId++;
        list.Add((id, hook));
        _count++;
        return new Registration(this, layer, point, id);
    }

    /// <summary>Runs the hooks registered at (layer, point) on <paramref name="residual"/>; returns the final residual.</summary>
    /// <remarks>Tensors a hook creates belong to the dispose scope of the forward pass that runs it.</remarks>
    public Tensor Run(int layer, HookPoint point, Tensor residual)
    {
        if (_count == 0) return residual;
        var list = _hooks[layer, (int)point];
        if (list is null || list.Count == 0) return residual;
        var current = residual;
        var context = new HookContext(layer, point, State);
        foreach (var (_, hook) in list.ToArray())
        {
            var replacement = hook(in context, current);
            if (replacement is null || ReferenceEquals(replacement, current)) continue;
            if (!replacement.shape.SequenceEqual(current.shape))
                throw new InvalidOperationException(
                    $"hook at layer {layer} {point} returned shape {string.Join("x", replacement.shape)}, the residual is {string.Join("x", current.shape)}");
            current = replacement;
        }
        return current;
    }

    private void Remove(int layer, HookPoint point, int id)
    {
        var list = _hooks[layer, (int)point];
        if (list is not null && list.RemoveAll(h => h.id == id) > 0) _count--;
    }

    private sealed class Registration(ResidualHooks owner, int layer, HookPoint point, int id) : IDisposable
    {
        private bool _removed;

        public void Dispose()
        {
            if (_removed) return;
            _removed = true;
            owner.Remove(layer, point, id);
        }
    }
}
