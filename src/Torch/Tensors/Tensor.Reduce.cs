using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        private Tensor DimsReduction(OpHandle op, long[]? dims, bool keepdim, ScalarType? dtype)
        {
            var c = new OpCall(op);
            c.Tensor(this); c.OptionalIntList(dims); c.Bool(keepdim); c.OptionalDType(dtype);
            return c.ToTensor();
        }

        /// <summary>Sum of all elements (optionally accumulated in <paramref name="dtype"/>).</summary>
        public Tensor sum(ScalarType? dtype = null)
        {
            var c = new OpCall(Aten.sum);
            c.Tensor(this); c.OptionalDType(dtype);
            return c.ToTensor();
        }
        /// <summary>Sum over one dimension.</summary>
        public Tensor sum(long dim, bool keepdim = false, ScalarType? dtype = null) => DimsReduction(Aten.sum_dim_IntList, [dim], keepdim, dtype);
        /// <summary>Sum over one dimension (an <c>int</c> overload, so that <c>sum(0)</c> is not read as <c>sum(dtype: 0)</c>).</summary>
        public Tensor sum(int dim, bool keepdim = false, ScalarType? dtype = null) => sum((long)dim, keepdim, dtype);
        /// <summary>Sum over several dimensions.</summary>
        public Tensor sum(long[] dims, bool keepdim = false, ScalarType? dtype = null) => DimsReduction(Aten.sum_dim_IntList, dims, keepdim, dtype);
        /// <summary>Mean of all elements.</summary>
        public Tensor mean(ScalarType? dtype = null)
        {
            var c = new OpCall(Aten.mean);
            c.Tensor(this); c.OptionalDType(dtype);
            return c.ToTensor();
        }
        /// <summary>Mean over one dimension.</summary>
        public Tensor mean(long dim, bool keepdim = false, ScalarType? dtype = null) => DimsReduction(Aten.mean_dim, [dim], keepdim, dtype);
        /// <summary>Mean over one dimension (an <c>int</c> overload, so that <c>mean(0)</c> is not read as <c>mean(dtype: 0)</c>).</summary>
        public Tensor mean(int dim, bool keepdim = false, ScalarType? dtype = null) => mean((long)dim, keepdim, dtype);
        /// <summary>Mean over several dimensions.</summary>
        public Tensor mean(long[] dims, bool keepdim = false, ScalarType? dtype = null) => DimsReduction(Aten.mean_dim, dims, keepdim, dtype);
        /// <summary>Product of all elements.</summary>
        public Tensor prod() => Unary(Aten.prod, this);

        private Tensor Moment(OpHandle op, long[]? dims, bool unbiased, bool keepdim)
        {
            var c = new OpCall(op);
            c.Tensor(this); c.OptionalIntList(dims); c.Int(unbiased ? 1 : 0); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Variance of all elements (Bessel-corrected when unbiased).</summary>
        public Tensor var(bool unbiased = true) => Moment(Aten.var_correction, null, unbiased, false);
        /// <summary>Variance over one dimension.</summary>
        public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => Moment(Aten.var_correction, [dim], unbiased, keepdim);
        /// <summary>Standard deviation of all elements.</summary>
        public Tensor std(bool unbiased = true) => Moment(Aten.std_correction, null, unbiased, false);
        /// <summary>Standard deviation over one dimension.</summary>
        public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => Moment(Aten.std_correction, [dim], unbiased, keepdim);

        /// <summary>Largest element.</summary>
        public Tensor max() => Unary(Aten.max, this);
        /// <summary>Smallest element.</summary>
        public Tensor min() => Unary(Aten.min, this);
        /// <summary>Largest values and their indices along a dimension.</summary>
        public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
        {
            var c = new OpCall(Aten.max_dim);
            c.Tensor(this); c.Int(dim); c.Bool(keepdim);
            return c.ToTensors2();
        }
        /// <summary>Smallest values and their indices along a dimension.</summary>
        public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false)
        {
            var c = new OpCall(Aten.min_dim);
            c.Tensor(this); c.Int(dim); c.Bool(keepdim);
            return c.ToTensors2();
        }
        /// <summary>Maximum over dimensions (values only).</summary>
        public Tensor amax(long[] dims, bool keepdim = false)
        {
            var c = new OpCall(Aten.amax);
            c.Tensor(this); c.IntList(dims); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Minimum over dimensions (values only).</summary>
        public Tensor amin(long[] dims, bool keepdim = false)
        {
            var c = new OpCall(Aten.amin);
            c.Tensor(this); c.IntList(dims); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Index of the largest element (flattened when dim is null). Ties: the first.</summary>
        public Tensor argmax(long? dim = null, bool keepdim = false)
        {
            var c = new OpCall(Aten.argmax);
            c.Tensor(this); c.OptionalInt(dim); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Index of the smallest element (flattened when dim is null).</summary>
        public Tensor argmin(long? dim = null, bool keepdim = false)
        {
            var c = new OpCall(Aten.argmin);
            c.Tensor(this); c.OptionalInt(dim); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Cumulative sum along a dimension.</summary>
        public Tensor cumsum(long dim, ScalarType? dtype = null)
        {
            var c = new OpCall(Aten.cumsum);
            c.Tensor(this); c.Int(dim); c.OptionalDType(dtype);
            return c.ToTensor();
        }
        /// <summary>The k largest (or smallest) elements along a dimension and their indices.</summary>
        public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
        {
            var c = new OpCall(Aten.topk);
            c.Tensor(this); c.Int(k); c.Int(dim); c.Bool(largest); c.Bool(sorted);
            return c.ToTensors2();
        }
        /// <summary>Sorted values and the permutation that sorts them.</summary>
        public (Tensor values, Tensor indexes) sort(long dim = -1, bool descending = false)
        {
            var c = new OpCall(Aten.sort);
            c.Tensor(this); c.Int(dim); c.Bool(descending);
            return c.ToTensors2();
        }
        /// <summary>The permutation that sorts along a dimension.</summary>
        public Tensor argsort(long dim = -1, bool descending = false)
        {
            var c = new OpCall(Aten.argsort);
            c.Tensor(this); c.Int(dim); c.Bool(descending);
            return c.ToTensor();
        }
        /// <summary>Draws category indices from rows of non-negative weights.</summary>
        public Tensor multinomial(long num_samples, bool replacement = false, Generator? generator = null)
        {
            var c = new OpCall(Aten.multinomial);
            c.Tensor(this); c.Int(num_samples); c.Bool(replacement); c.Generator(generator);
            return c.ToTensor();
        }
        /// <summary>True if any element is non-zero.</summary>
        public Tensor any() => Unary(Aten.any, this);
        /// <summary>Any along a dimension.</summary>
        public Tensor any(long dim, bool keepdim = false)
        {
            var c = new OpCall(Aten.any_dim);
            c.Tensor(this); c.Int(dim); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>True if every element is non-zero.</summary>
        public Tensor all() => Unary(Aten.all, this);
        /// <summary>All along a dimension.</summary>
        public Tensor all(long dim, bool keepdim = false)
        {
            var c = new OpCall(Aten.all_dim);
            c.Tensor(this); c.Int(dim); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Number of non-zero elements (over all, or along dims).</summary>
        public Tensor count_nonzero(params long[] dims)
        {
            if (dims.Length == 0)
            {
                var all = new OpCall(Aten.count_nonzero);
                all.Tensor(this);
                return all.ToTensor();
            }
            var c = new OpCall(Aten.count_nonzero_dim_IntList);
            c.Tensor(this); c.IntList(dims);
            return c.ToTensor();
        }
    }
}
