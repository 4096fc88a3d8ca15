using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        private Tensor WithIntList(OpHandle op, long[] values)
        {
            var c = new OpCall(op);
            c.Tensor(this); c.IntList(values);
            return c.ToTensor();
        }

        /// <summary>A view with another shape (one entry may be −1); needs compatible strides.</summary>
        public Tensor view(params long[] shape) => WithIntList(Aten.view, shape);
        /// <summary>A view or copy with another shape (one entry may be −1).</summary>
        public Tensor reshape(params long[] shape) => WithIntList(Aten.reshape, shape);
        /// <summary>Reorders dimensions.</summary>
        public Tensor permute(params long[] dims) => WithIntList(Aten.permute, dims);
        /// <summary>Swaps two dimensions.</summary>
        public Tensor transpose(long dim0, long dim1)
        {
            var c = new OpCall(Aten.transpose_int);
            c.Tensor(this); c.Int(dim0); c.Int(dim1);
            return c.ToTensor();
        }
        /// <summary>Transpose of a 2-D tensor (≤ 2-D).</summary>
        public Tensor t() => Unary(Aten.t, this);
        /// <summary>Transpose of a 2-D tensor (property form, TorchSharp's <c>T</c>).</summary>
        public Tensor T => t();
        /// <summary>A contiguous tensor with the same data (this one when already contiguous).</summary>
        public Tensor contiguous() => Unary(Aten.contiguous, this);
        /// <summary>Elements [start, start+length) of one dimension, as a view.</summary>
        public Tensor narrow(long dim, long start, long length)
        {
            var c = new OpCall(Aten.narrow);
            c.Tensor(this); c.Int(dim); c.Int(start); c.Int(length);
            return c.ToTensor();
        }
        /// <summary>Index <paramref name="index"/> of one dimension, removing it (a view).</summary>
        public Tensor select(long dim, long index)
        {
            var c = new OpCall(Aten.select_int);
            c.Tensor(this); c.Int(dim); c.Int(index);
            return c.ToTensor();
        }
        /// <summary>Python slice start:end:step of one dimension, as a view (null bounds are open).</summary>
        public Tensor slice(long dim, long? start, long? end, long step = 1)
        {
            var c = new OpCall(Aten.slice_Tensor);
            c.Tensor(this); c.Int(dim); c.OptionalInt(start); c.OptionalInt(end); c.Int(step);
            return c.ToTensor();
        }
        /// <summary>Rows of one dimension picked by an int64 index vector.</summary>
        public Tensor index_select(long dim, Tensor index)
        {
            var c = new OpCall(Aten.index_select);
            c.Tensor(this); c.Int(dim); c.Tensor(index);
            return c.ToTensor();
        }
        /// <summary>out[i][j] = this[i][index[i][j]] along <paramref name="dim"/>.</summary>
        public Tensor gather(long dim, Tensor index)
        {
            var c = new OpCall(Aten.gather);
            c.Tensor(this); c.Int(dim); c.Tensor(index);
            return c.ToTensor();
        }
        /// <summary>Copy of this with src written at index along dim.</summary>
        public Tensor scatter(long dim, Tensor index, Tensor src)
        {
            var c = new OpCall(Aten.scatter_src);
            c.Tensor(this); c.Int(dim); c.Tensor(index); c.Tensor(src);
            return c.ToTensor();
        }
        /// <summary>Copy of this with a value written at index along dim.</summary>
        public Tensor scatter(long dim, Tensor index, Scalar value)
        {
            var c = new OpCall(Aten.scatter_value);
            c.Tensor(this); c.Int(dim); c.Tensor(index); c.Scalar(value);
            return c.ToTensor();
        }
        /// <summary>Copy of this with src added at index along dim.</summary>
        public Tensor scatter_add(long dim, Tensor index, Tensor src)
        {
            var c = new OpCall(Aten.scatter_add);
            c.Tensor(this); c.Int(dim); c.Tensor(index); c.Tensor(src);
            return c.ToTensor();
        }
        /// <summary>Copy of this with alpha·source rows added at index along dim.</summary>
        public Tensor index_add(long dim, Tensor index, Tensor source, Scalar? alpha = null)
        {
            var c = new OpCall(Aten.index_add);
            c.Tensor(this); c.Int(dim); c.Tensor(index); c.Tensor(source); c.Scalar(alpha ?? 1);
            return c.ToTensor();
        }
        // libtorch 1.13's masked_fill kernels do not check the mask dtype: a float mask silently fills nothing and an
        // integer mask acts as a boolean one. PyTorch 2 accepts only bool masks; so does this binding.
        private static void CheckBoolMask(Tensor mask, string op)
        {
            var dt = mask.dtype;
            if (dt != ScalarType.Bool)
                throw new TorchException($"{op}: the mask must be a bool tensor, got {dt} (compare, e.g. mask.ne(0), to make one)");
        }

        /// <summary>Copy of this with value where mask is true.</summary>
        public Tensor masked_fill(Tensor mask, Scalar value)
        {
            CheckBoolMask(mask, nameof(masked_fill));
            var c = new OpCall(Aten.masked_fill_Scalar);
            c.Tensor(this); c.Tensor(mask); c.Scalar(value);
            return c.ToTensor();
        }
        /// <summary>Copy of this with a 0-d tensor value where mask is true.</summary>
        public Tensor masked_fill(Tensor mask, Tensor value)
        {
            CheckBoolMask(mask, nameof(masked_fill));
            var c = new OpCall(Aten.masked_fill_Tensor);
            c.Tensor(this); c.Tensor(mask); c.Tensor(value);
            return c.ToTensor();
        }
        /// <summary>In place: value where mask is true.</summary>
        public Tensor masked_fill_(Tensor mask, Scalar value)
        {
            CheckBoolMask(mask, nameof(masked_fill_));
            var c = new OpCall(Aten.masked_fill__Scalar);
            c.Tensor(this); c.Tensor(mask); c.Scalar(value);
            return c.InPlace(this);
        }
        /// <summary>1-D tensor of the elements where mask is true.</summary>
        public Tensor masked_select(Tensor mask) => Binary(Aten.masked_select, this, mask);
        /// <summary>Splits into pieces of <paramref name="split_size"/> along dim (the last may be smaller).</summary>
        public Tensor[] split(long split_size, long dim = 0)
        {
            var c = new OpCall(Aten.split_Tensor);
            c.Tensor(this); c.Int(split_size); c.Int(dim);
            return c.ToTensorArray();
        }
        /// <summary>Splits into pieces of the given sizes along dim.</summary>
        public Tensor[] split(long[] split_sizes, long dim = 0)
        {
            var c = new OpCall(Aten.split_with_sizes);
            c.Tensor(this); c.IntList(split_sizes); c.Int(dim);
            return c.ToTensorArray();
        }
        /// <summary>Splits into <paramref name="chunks"/> near-equal pieces along dim.</summary>
        public Tensor[] chunk(long chunks, long dim = 0)
        {
            var c = new OpCall(Aten.chunk);
            c.Tensor(this); c.Int(chunks); c.Int(dim);
            return c.ToTensorArray();
        }
        /// <summary>Slices along dim, removing it.</summary>
        public Tensor[] unbind(long dim = 0)
        {
            var c = new OpCall(Aten.unbind_int);
            c.Tensor(this); c.Int(dim);
            return c.ToTensorArray();
        }
        /// <summary>A broadcast view with the given sizes (−1 keeps a size).</summary>
        public Tensor expand(params long[] sizes) => WithIntList(Aten.expand, sizes);
        /// <summary>A broadcast view with the shape of <paramref name="other"/>.</summary>
        public Tensor expand_as(Tensor other) => Binary(Aten.expand_as, this, other);
        /// <summary>Tiles the tensor.</summary>
        public Tensor repeat(params long[] repeats) => WithIntList(Aten.repeat, repeats);
        /// <summary>Repeats each element <paramref name="repeats"/> times along dim (flattened when null).</summary>
        public Tensor repeat_interleave(long repeats, long? dim = null)
        {
            var c = new OpCall(Aten.repeat_interleave_self_int);
            c.Tensor(this); c.Int(repeats); c.OptionalInt(dim);
            return c.ToTensor();
        }
        /// <summary>Removes all size-1 dimensions, or dimension <paramref name="dim"/> if it has size 1.</summary>
        public Tensor squeeze(long? dim = null)
        {
            if (dim is null) return Unary(Aten.squeeze, this);
            var c = new OpCall(Aten.squeeze_dim);
            c.Tensor(this); c.Int(dim.Value);
            return c.ToTensor();
        }
        /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
        public Tensor unsqueeze(long dim)
        {
            var c = new OpCall(Aten.unsqueeze);
            c.Tensor(this); c.Int(dim);
            return c.ToTensor();
        }
        /// <summary>Reverses the order of elements along the given dimensions.</summary>
        public Tensor flip(params long[] dims) => WithIntList(Aten.flip, dims);
        /// <summary>Lower triangle (elements with column − row ≤ diagonal), others zero.</summary>
        public Tensor tril(long diagonal = 0)
        {
            var c = new OpCall(Aten.tril);
            c.Tensor(this); c.Int(diagonal);
            return c.ToTensor();
        }
        /// <summary>Upper triangle (elements with column − row ≥ diagonal), others zero.</summary>
        public Tensor triu(long diagonal = 0)
        {
            var c = new OpCall(Aten.triu);
            c.Tensor(this); c.Int(diagonal);
            return c.ToTensor();
        }
        /// <summary>Flattens dimensions start_dim..end_dim into one.</summary>
        public Tensor flatten(long start_dim = 0, long end_dim = -1)
        {
            var c = new OpCall(Aten.flatten_using_ints);
            c.Tensor(this); c.Int(start_dim); c.Int(end_dim);
            return c.ToTensor();
        }
        /// <summary>Splits dimension dim into the given sizes.</summary>
        public Tensor unflatten(long dim, params long[] sizes)
        {
            var c = new OpCall(Aten.unflatten_int);
            c.Tensor(this); c.Int(dim); c.IntList(sizes);
            return c.ToTensor();
        }
        /// <summary>Rolls elements along dims (wrapping around).</summary>
        public Tensor roll(long[] shifts, long[] dims)
        {
            var c = new OpCall(Aten.roll);
            c.Tensor(this); c.IntList(shifts); c.IntList(dims);
            return c.ToTensor();
        }
        /// <summary>Indices of non-zero elements, one row per element ([n, ndim]).</summary>
        public Tensor nonzero() => Unary(Aten.nonzero, this);
        /// <summary>One-hot encoding of an int64 tensor (num_classes −1: inferred).</summary>
        public Tensor one_hot(long num_classes = -1)
        {
            var c = new OpCall(Aten.one_hot);
            c.Tensor(this); c.Int(num_classes);
            return c.ToTensor();
        }

        /// <summary>Advanced indexing: <c>this[indices]</c> with one optional int64/bool index tensor per dimension.</summary>
        public Tensor index(IReadOnlyList<Tensor?> indices)
        {
            var c = new OpCall(Aten.index_Tensor);
            c.Tensor(this); c.OptionalTensorList(indices);
            return c.ToTensor();
        }
        /// <summary>In place <c>this[indices] = values</c> (or += with accumulate).</summary>
        public Tensor index_put_(IReadOnlyList<Tensor?> indices, Tensor values, bool accumulate = false)
        {
            var c = new OpCall(Aten.index_put_);
            c.Tensor(this); c.OptionalTensorList(indices); c.Tensor(values); c.Bool(accumulate);
            return c.InPlace(this);
        }
        /// <summary>Copy of this with <c>[indices] = values</c>.</summary>
        public Tensor index_put(IReadOnlyList<Tensor?> indices, Tensor values, bool accumulate = false)
        {
            var c = new OpCall(Aten.index_put);
            c.Tensor(this); c.OptionalTensorList(indices); c.Tensor(values); c.Bool(accumulate);
            return c.ToTensor();
        }
    }

    /// <summary>Concatenates tensors along an existing dimension.</summary>
    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var c = new OpCall(Aten.cat);
        c.TensorList(tensors); c.Int(dim);
        return c.ToTensor();
    }

    /// <summary>Stacks tensors of equal shape along a new dimension.</summary>
    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        var c = new OpCall(Aten.stack);
        c.TensorList(tensors); c.Int(dim);
        return c.ToTensor();
    }

    /// <summary>Elementwise choice: x where condition, else y.</summary>
    public static Tensor where(Tensor condition, Tensor x, Tensor y)
    {
        var c = new OpCall(Aten.where_self);
        c.Tensor(condition); c.Tensor(x); c.Tensor(y);
        return c.ToTensor();
    }

    /// <summary>Elementwise choice: x where condition, else a scalar.</summary>
    public static Tensor where(Tensor condition, Tensor x, Scalar y)
    {
        var c = new OpCall(Aten.where_ScalarOther);
        c.Tensor(condition); c.Tensor(x); c.Scalar(y);
        return c.ToTensor();
    }

    /// <summary>Elementwise choice: a scalar where condition, else y.</summary>
    public static Tensor where(Tensor condition, Scalar x, Tensor y)
    {
        var c = new OpCall(Aten.where_ScalarSelf);
        c.Tensor(condition); c.Scalar(x); c.Tensor(y);
        return c.ToTensor();
    }

    /// <summary><paramref name="self"/> raised elementwise to the powers in <paramref name="exponent"/>.</summary>
    public static Tensor pow(Scalar self, Tensor exponent)
    {
        var c = new OpCall(Aten.pow_Scalar);
        c.Scalar(self); c.Tensor(exponent);
        return c.ToTensor();
    }

    /// <summary>Einstein summation, e.g. <c>einsum("bij,bjk->bik", a, b)</c>.</summary>
    public static Tensor einsum(string equation, params Tensor[] tensors)
    {
        var c = new OpCall(Aten.einsum);
        c.String(equation); c.TensorList(tensors);
        return c.ToTensor();
    }
}
