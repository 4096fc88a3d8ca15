namespace DiffusionSteering.Torch;

/// <summary>
/// Frees, when disposed, every tensor created on this thread while it was the innermost open scope, except those moved
/// out (<see cref="MoveToOuter{T}"/>) or detached (<see cref="Detach{T}"/>). Same semantics as TorchSharp's:
/// <c>using var scope = torch.NewDisposeScope();</c>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly HashSet<IDisposable> _owned = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private DisposeScope(DisposeScope? outer) { Outer = outer; }

    /// <summary>The scope that was innermost when this one opened.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>How many disposables the scope currently owns.</summary>
    public int DisposablesCount => _owned.Count;

    internal static DisposeScope? Current => _current;

    internal static DisposeScope Open() => _current = new DisposeScope(_current);

    /// <summary>Registers <paramref name="item"/> with the innermost open scope of this thread, if any.</summary>
    internal static DisposeScope? Register(IDisposable item)
    {
        var scope = _current;
        scope?._owned.Add(item);
        return scope;
    }

    internal void Forget(IDisposable item) => _owned.Remove(item);

    /// <summary>Hands <paramref name="item"/> to the enclosing scope (or to no scope when this one is outermost).</summary>
    public T MoveToOuter<T>(T item) where T : IDisposable
    {
        if (_owned.Remove(item))
        {
            Outer?._owned.Add(item);
            if (item is torch.Tensor t) t.OwningScope = Outer;
        }
        return item;
    }

    /// <summary>Removes <paramref name="item"/> from all scopes: the caller disposes it.</summary>
    public T Detach<T>(T item) where T : IDisposable
    {
        if (_owned.Remove(item) && item is torch.Tensor t) t.OwningScope = null;
        return item;
    }

    /// <summary>Takes ownership of <paramref name="item"/> (moving it from the scope that owned it, if any).</summary>
    public T Include<T>(T item) where T : IDisposable
    {
        if (item is torch.Tensor t)
        {
            t.OwningScope?.Forget(t);
            t.OwningScope = this;
        }
        _owned.Add(item);
        return item;
    }

    /// <summary>Disposes everything the scope still owns and closes it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        // Check before marking: a scope refused here stays open, so it can still be closed once the inner ones are
        // (otherwise it would stay the thread's current scope for ever, owning every later tensor).
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("dispose scopes must be closed in reverse order of opening, on their own thread");
        _disposed = true;
        _current = Outer;
        var owned = _owned.ToArray();
        _owned.Clear();
        foreach (var item in owned)
        {
            if (item is torch.Tensor t) t.OwningScope = null;
            item.Dispose();
        }
    }
}
