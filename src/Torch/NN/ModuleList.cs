namespace DiffusionSteering.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>An ordered list of sub-modules registered under "0", "1", … (PyTorch's <c>nn.ModuleList</c>).</summary>
        public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
        {
            private readonly List<T> _items = new();

            /// <summary>Creates the list.</summary>
            public ModuleList(IEnumerable<T> modules) : base("ModuleList")
            {
                foreach (var m in modules) append(m);
            }

            /// <summary>Appends a module (registered under its index).</summary>
            public void append(T module)
            {
                register_module(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
                _items.Add(module);
            }

            /// <inheritdoc />
            public T this[int index] => _items[index];

            /// <inheritdoc />
            public int Count => _items.Count;

            /// <inheritdoc />
            public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
