namespace DiffusionSteering.Torch;

public static partial class torch
{
    /// <summary>One entry of an indexing expression: an integer, a slice, a tensor, <c>...</c> or a new axis.</summary>
    public readonly struct TensorIndex
    {
        internal enum IndexKind { Single, Slice, Tensor, Ellipsis, NewAxis }

        private TensorIndex(IndexKind kind, long value = 0, long? start = null, long? stop = null, long step = 1, Tensor? tensor = null)
        {
            Kind = kind; Value = value; Start = start; Stop = stop; Step = step; TensorValue = tensor;
        }

        internal IndexKind Kind { get; }
        internal long Value { get; }
        internal long? Start { get; }
        internal long? Stop { get; }
        internal long Step { get; }
        internal Tensor? TensorValue { get; }

        /// <summary>An integer index (negative counts from the end).</summary>
        public static TensorIndex Single(long index) => new(IndexKind.Single, index);
        /// <summary>A Python slice start:stop:step (null bounds are open).</summary>
        public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1)
        {
            if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), step, "slice step must be positive");
            return new(IndexKind.Slice, start: start, stop: stop, step: step);
        }
        /// <summary>An index tensor (int64 positions or a bool mask).</summary>
        public static TensorIndex Tensor(Tensor index) => new(IndexKind.Tensor, tensor: index);
        /// <summary><c>...</c>: as many full slices as needed.</summary>
        public static TensorIndex Ellipsis => new(IndexKind.Ellipsis);
        /// <summary>A new axis of size 1 (<c>None</c>).</summary>
        public static TensorIndex None => new(IndexKind.NewAxis);
        /// <summary>A full slice (<c>:</c>).</summary>
        public static TensorIndex Colon => Slice();

#pragma warning disable CS1591 // conversions are self-describing
        public static implicit operator TensorIndex(long index) => Single(index);
        public static implicit operator TensorIndex(int index) => Single(index);
        public static implicit operator TensorIndex(Tensor index) => Tensor(index);
        // ^0 as a start means "at the end" (an empty slice), not "from the beginning".
        public static implicit operator TensorIndex(Range range) => Slice(
            range.Start.IsFromEnd ? (range.Start.Value == 0 ? long.MaxValue : -range.Start.Value) : range.Start.Value,
            range.End.IsFromEnd ? (range.End.Value == 0 ? null : -range.End.Value) : range.End.Value);
#pragma warning restore CS1591
    }

    public partial class Tensor
    {
        /// <summary>
        /// NumPy/PyTorch indexing: <c>t[0, 1..^1, TensorIndex.Ellipsis, TensorIndex.None, idx]</c>. Integers and
        /// slices give views; index tensors select (a copy). The setter copies a tensor into the selection.
        /// </summary>
        public Tensor this[params TensorIndex[] indices]
        {
            get => ApplyIndices(indices);
            set => index_put_(indices, value);
        }

        /// <summary>In place: writes <paramref name="value"/> into the selection (broadcasting).</summary>
        public Tensor index_put_(TensorIndex[] indices, Tensor value)
        {
            var (view, advanced) = BasicIndex(indices);
            // As PyTorch does (NumPy compatibility), leading size-1 dimensions of the value are ignored, so that
            // t[0] = tensor([x]) writes into a 0-d selection.
            var valueShape = value.shape;
            var lead = 0;
            while (lead < valueShape.Length && valueShape[lead] == 1) lead++;
            var source = lead == 0 ? value : value.reshape(valueShape[lead..]);
            try
            {
                if (advanced is null) view.copy_(source);
                else view.index_put_(advanced, source);
            }
            finally
            {
                view.Dispose();
                if (!ReferenceEquals(source, value)) source.Dispose();
            }
            return this;
        }

        /// <summary>In place: writes a scalar into the selection.</summary>
        public Tensor index_put_(TensorIndex[] indices, Scalar value)
        {
            var (view, advanced) = BasicIndex(indices);
            try
            {
                if (advanced is null) view.fill_(value);
                else
                {
                    using var v = full([], value, view.dtype, view.device);
                    view.index_put_(advanced, v);
                }
            }
            finally
            {
                view.Dispose();
            }
            return this;
        }

        private Tensor ApplyIndices(TensorIndex[] indices)
        {
            var (view, advanced) = BasicIndex(indices);
            if (advanced is null) return view;
            try { return view.index(advanced); }
            finally { view.Dispose(); }
        }

        // Applies integers, slices, ellipsis and new axes as views; returns the view and, if index tensors were
        // given, the per-dimension list for advanced indexing on that view (null entries for untouched dims).
        private (Tensor view, List<Tensor?>? advanced) BasicIndex(TensorIndex[] indices)
        {
            var ndim = Dimensions;
            // A k-dimensional boolean (or uint8) mask covers k dimensions; every other consuming index covers one.
            static long Covers(TensorIndex i) => i.Kind switch
            {
                TensorIndex.IndexKind.Single or TensorIndex.IndexKind.Slice => 1,
                TensorIndex.IndexKind.Tensor => i.TensorValue!.dtype is ScalarType.Bool or ScalarType.Byte ? i.TensorValue.dim() : 1,
                _ => 0,
            };
            var consuming = indices.Sum(Covers);
            if (indices.Count(i => i.Kind == TensorIndex.IndexKind.Ellipsis) > 1) throw new ArgumentException("an index can hold only one ellipsis");
            if (consuming > ndim) throw new ArgumentException($"too many indices ({consuming}) for a tensor of {ndim} dimensions");
            var current = alias();
            List<Tensor?>? advanced = null;
            long dim = 0;
            long maskExtra = 0;   // dimensions covered by masks beyond the one list slot each takes
            try
            {
                foreach (var index in indices)
                {
                    Tensor next;
                    switch (index.Kind)
                    {
                        case TensorIndex.IndexKind.Single:
                            {
                                var size = current.size(dim);
                                var i = index.Value < 0 ? index.Value + size : index.Value;
                                if (i < 0 || i >= size) throw new IndexOutOfRangeException($"index {index.Value} is out of bounds for dimension {dim} with size {size}");
                                next = current.select(dim, i);
                                break;
                            }
                        case TensorIndex.IndexKind.Slice:
                            next = current.slice(dim, index.Start, index.Stop, index.Step);
                            dim++;
                            break;
                        case TensorIndex.IndexKind.NewAxis:
                            next = current.unsqueeze(dim);
                            dim++;
                            break;
                        case TensorIndex.IndexKind.Ellipsis:
                            dim += ndim - consuming;
                            continue;
                        default:
                            {
                                // aten::index takes one list entry per indexed dimension, except that a k-d mask takes
                                // one entry for its k dimensions.
                                advanced ??= [];
                                while (advanced.Count < dim - maskExtra) advanced.Add(null);
                                advanced.Add(index.TensorValue);
                                var covers = Covers(index);
                                dim += covers;
                                maskExtra += covers - 1;
                                continue;
                            }
                    }
                    current.Dispose();
                    current = next;
                }
                return (current, advanced);
            }
            catch
            {
                current.Dispose();
                throw;
            }
        }
    }
}
