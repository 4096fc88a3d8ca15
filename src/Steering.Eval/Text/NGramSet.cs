namespace DiffusionSteering.Steering.Eval.Text;

/// <summary>A set of fixed-length n-grams, stored as windows into their source token arrays.</summary>
internal sealed class NGramSet<T>
{
    private readonly HashSet<ArraySegment<T>> _set;

    public NGramSet(int n, IEqualityComparer<T>? comparer)
    {
        _set = new HashSet<ArraySegment<T>>(new WindowComparer(comparer ?? EqualityComparer<T>.Default));
        N = n;
    }

    public int N { get; }

    public int Count => _set.Count;

    /// <summary>Adds the window starting at <paramref name="start"/>; returns false when an equal n-gram is already present.</summary>
    public bool Add(T[] tokens, int start) => _set.Add(new ArraySegment<T>(tokens, start, N));

    private sealed class WindowComparer(IEqualityComparer<T> items) : IEqualityComparer<ArraySegment<T>>
    {
        public bool Equals(ArraySegment<T> x, ArraySegment<T> y)
        {
            if (x.Count != y.Count)
            {
                return false;
            }

            for (int i = 0; i < x.Count; i++)
            {
                if (!items.Equals(x[i], y[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(ArraySegment<T> window)
        {
            var hash = default(HashCode);
            for (int i = 0; i < window.Count; i++)
            {
                T item = window[i];
                hash.Add(item is null ? 0 : items.GetHashCode(item));
            }

            return hash.ToHashCode();
        }
    }
}
