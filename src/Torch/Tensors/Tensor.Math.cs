using DiffusionSteering.Torch.Native;

namespace DiffusionSteering.Torch;

public static partial class torch
{
    public partial class Tensor
    {
        internal static Tensor Unary(OpHandle op, Tensor self)
        {
            var c = new OpCall(op);
            c.Tensor(self);
            return c.ToTensor();
        }

        internal static Tensor UnaryInPlace(OpHandle op, Tensor self)
        {
            var c = new OpCall(op);
            c.Tensor(self);
            return c.InPlace(self);
        }

        internal static Tensor Binary(OpHandle op, Tensor self, Tensor other)
        {
            var c = new OpCall(op);
            c.Tensor(self);
            c.Tensor(other);
            return c.ToTensor();
        }

        internal static Tensor BinaryScalar(OpHandle op, Tensor self, Scalar other)
        {
            var c = new OpCall(op);
            c.Tensor(self);
            c.Scalar(other);
            return c.ToTensor();
        }

        private Tensor BinaryInPlace(OpHandle op, Tensor other)
        {
            var c = new OpCall(op);
            c.Tensor(this);
            c.Tensor(other);
            return c.InPlace(this);
        }

        private Tensor ScalarInPlace(OpHandle op, Scalar other)
        {
            var c = new OpCall(op);
            c.Tensor(this);
            c.Scalar(other);
            return c.InPlace(this);
        }

        private Tensor WithAlpha(OpHandle op, Tensor other, Scalar alpha)
        {
            var c = new OpCall(op);
            c.Tensor(this);
            c.Tensor(other);
            c.Scalar(alpha);
            return c.ToTensor();
        }

        private Tensor WithAlphaInPlace(OpHandle op, Tensor other, Scalar alpha)
        {
            var c = new OpCall(op);
            c.Tensor(this);
            c.Tensor(other);
            c.Scalar(alpha);
            return c.InPlace(this);
        }

        // ---- arithmetic (broadcasting)

        /// <summary>this + alpha·other.</summary>
        public Tensor add(Tensor other, Scalar? alpha = null) => WithAlpha(Aten.add_Tensor, other, alpha ?? 1);
        /// <summary>this + other.</summary>
        public Tensor add(Scalar other) => BinaryScalar(Aten.add_Scalar, this, other);
        /// <summary>In place: this += alpha·other.</summary>
        public Tensor add_(Tensor other, Scalar? alpha = null) => WithAlphaInPlace(Aten.add__Tensor, other, alpha ?? 1);
        /// <summary>In place: this += other.</summary>
        public Tensor add_(Scalar other) => ScalarInPlace(Aten.add__Scalar, other);
        /// <summary>this − alpha·other.</summary>
        public Tensor sub(Tensor other, Scalar? alpha = null) => WithAlpha(Aten.sub_Tensor, other, alpha ?? 1);
        /// <summary>this − other.</summary>
        public Tensor sub(Scalar other) => BinaryScalar(Aten.sub_Scalar, this, other);
        /// <summary>In place: this −= alpha·other.</summary>
        public Tensor sub_(Tensor other, Scalar? alpha = null) => WithAlphaInPlace(Aten.sub__Tensor, other, alpha ?? 1);
        /// <summary>In place: this −= other.</summary>
        public Tensor sub_(Scalar other) => ScalarInPlace(Aten.sub__Scalar, other);
        /// <summary>Elementwise product.</summary>
        public Tensor mul(Tensor other) => Binary(Aten.mul_Tensor, this, other);
        /// <summary>Product with a scalar.</summary>
        public Tensor mul(Scalar other) => BinaryScalar(Aten.mul_Scalar, this, other);
        /// <summary>In place elementwise product.</summary>
        public Tensor mul_(Tensor other) => BinaryInPlace(Aten.mul__Tensor, other);
        /// <summary>In place product with a scalar.</summary>
        public Tensor mul_(Scalar other) => ScalarInPlace(Aten.mul__Scalar, other);
        /// <summary>Elementwise true division.</summary>
        public Tensor div(Tensor other) => Binary(Aten.div_Tensor, this, other);
        /// <summary>Division by a scalar.</summary>
        public Tensor div(Scalar other) => BinaryScalar(Aten.div_Scalar, this, other);
        /// <summary>Division with rounding mode "trunc" or "floor" (null: true division).</summary>
        public Tensor div(Tensor other, string? rounding_mode)
        {
            var c = new OpCall(Aten.div_Tensor_mode);
            c.Tensor(this);
            c.Tensor(other);
            c.OptionalString(rounding_mode);
            return c.ToTensor();
        }
        /// <summary>In place elementwise division.</summary>
        public Tensor div_(Tensor other) => BinaryInPlace(Aten.div__Tensor, other);
        /// <summary>In place division by a scalar.</summary>
        public Tensor div_(Scalar other) => ScalarInPlace(Aten.div__Scalar, other);
        /// <summary>Elementwise power with a scalar exponent.</summary>
        public Tensor pow(Scalar exponent) => BinaryScalar(Aten.pow_Tensor_Scalar, this, exponent);
        /// <summary>Elementwise power with a tensor exponent.</summary>
        public Tensor pow(Tensor exponent) => Binary(Aten.pow_Tensor_Tensor, this, exponent);
        /// <summary>Python-style remainder (sign of the divisor).</summary>
        public Tensor remainder(Scalar other) => BinaryScalar(Aten.remainder_Scalar, this, other);
        /// <summary>Elementwise maximum of two tensors.</summary>
        public Tensor maximum(Tensor other) => Binary(Aten.maximum, this, other);
        /// <summary>Elementwise minimum of two tensors.</summary>
        public Tensor minimum(Tensor other) => Binary(Aten.minimum, this, other);
        /// <summary>this + value·t1·t2, in place.</summary>
        public Tensor addcmul_(Tensor tensor1, Tensor tensor2, Scalar? value = null)
        {
            var c = new OpCall(Aten.addcmul_);
            c.Tensor(this); c.Tensor(tensor1); c.Tensor(tensor2); c.Scalar(value ?? 1);
            return c.InPlace(this);
        }
        /// <summary>this + value·t1/t2, in place.</summary>
        public Tensor addcdiv_(Tensor tensor1, Tensor tensor2, Scalar? value = null)
        {
            var c = new OpCall(Aten.addcdiv_);
            c.Tensor(this); c.Tensor(tensor1); c.Tensor(tensor2); c.Scalar(value ?? 1);
            return c.InPlace(this);
        }
        /// <summary>this + weight·(end − this), in place.</summary>
        public Tensor lerp_(Tensor end, Scalar weight)
        {
            var c = new OpCall(Aten.lerp__Scalar);
            c.Tensor(this); c.Tensor(end); c.Scalar(weight);
            return c.InPlace(this);
        }

        // ---- elementwise functions

        /// <summary>eˣ.</summary>
        public Tensor exp() => Unary(Aten.exp, this);
        /// <summary>In place eˣ.</summary>
        public Tensor exp_() => UnaryInPlace(Aten.exp_, this);
        /// <summary>Natural logarithm.</summary>
        public Tensor log() => Unary(Aten.log, this);
        /// <summary>log(1 + x).</summary>
        public Tensor log1p() => Unary(Aten.log1p, this);
        /// <summary>eˣ − 1.</summary>
        public Tensor expm1() => Unary(Aten.expm1, this);
        /// <summary>Square root.</summary>
        public Tensor sqrt() => Unary(Aten.sqrt, this);
        /// <summary>In place square root.</summary>
        public Tensor sqrt_() => UnaryInPlace(Aten.sqrt_, this);
        /// <summary>1/√x.</summary>
        public Tensor rsqrt() => Unary(Aten.rsqrt, this);
        /// <summary>x².</summary>
        public Tensor square() => Unary(Aten.square, this);
        /// <summary>1/x.</summary>
        public Tensor reciprocal() => Unary(Aten.reciprocal, this);
        /// <summary>|x|.</summary>
        public Tensor abs() => Unary(Aten.abs, this);
        /// <summary>−x.</summary>
        public Tensor neg() => Unary(Aten.neg, this);
        /// <summary>In place −x.</summary>
        public Tensor neg_() => UnaryInPlace(Aten.neg_, this);
        /// <summary>Sign (−1, 0, 1).</summary>
        public Tensor sign() => Unary(Aten.sign, this);
        /// <summary>Sine.</summary>
        public Tensor sin() => Unary(Aten.sin, this);
        /// <summary>Cosine.</summary>
        public Tensor cos() => Unary(Aten.cos, this);
        /// <summary>Hyperbolic tangent.</summary>
        public Tensor tanh() => Unary(Aten.tanh, this);
        /// <summary>Logistic sigmoid.</summary>
        public Tensor sigmoid() => Unary(Aten.sigmoid, this);
        /// <summary>Error function.</summary>
        public Tensor erf() => Unary(Aten.erf, this);
        /// <summary>max(x, 0).</summary>
        public Tensor relu() => Unary(Aten.relu, this);
        /// <summary>In place max(x, 0).</summary>
        public Tensor relu_() => UnaryInPlace(Aten.relu_, this);
        /// <summary>x·σ(x).</summary>
        public Tensor silu() => Unary(Aten.silu, this);
        /// <summary>Round down.</summary>
        public Tensor floor() => Unary(Aten.floor, this);
        /// <summary>Round up.</summary>
        public Tensor ceil() => Unary(Aten.ceil, this);
        /// <summary>Round half to even.</summary>
        public Tensor round() => Unary(Aten.round, this);
        /// <summary>GELU; <paramref name="approximate"/> "none" (exact, erf) or "tanh".</summary>
        public Tensor gelu(string approximate = "none")
        {
            var c = new OpCall(Aten.gelu);
            c.Tensor(this);
            c.String(approximate);
            return c.ToTensor();
        }
        /// <summary>Clamps into [min, max] (either bound may be null).</summary>
        public Tensor clamp(Scalar? min = null, Scalar? max = null)
        {
            var c = new OpCall(Aten.clamp);
            c.Tensor(this); c.OptionalScalar(min); c.OptionalScalar(max);
            return c.ToTensor();
        }
        /// <summary>Clamps elementwise between tensors (either may be null).</summary>
        public Tensor clamp(Tensor? min, Tensor? max)
        {
            var c = new OpCall(Aten.clamp_Tensor);
            c.Tensor(this); c.OptionalTensor(min); c.OptionalTensor(max);
            return c.ToTensor();
        }
        /// <summary>In place clamp.</summary>
        public Tensor clamp_(Scalar? min = null, Scalar? max = null)
        {
            var c = new OpCall(Aten.clamp_);
            c.Tensor(this); c.OptionalScalar(min); c.OptionalScalar(max);
            return c.InPlace(this);
        }
        /// <summary>max(x, min).</summary>
        public Tensor clamp_min(Scalar min) => BinaryScalar(Aten.clamp_min, this, min);
        /// <summary>min(x, max).</summary>
        public Tensor clamp_max(Scalar max) => BinaryScalar(Aten.clamp_max, this, max);

        // ---- comparisons and logic (results are bool tensors)

        /// <summary>Elementwise ==.</summary>
        public Tensor eq(Tensor other) => Binary(Aten.eq_Tensor, this, other);
        /// <summary>Elementwise == scalar.</summary>
        public Tensor eq(Scalar other) => BinaryScalar(Aten.eq_Scalar, this, other);
        /// <summary>Elementwise !=.</summary>
        public Tensor ne(Tensor other) => Binary(Aten.ne_Tensor, this, other);
        /// <summary>Elementwise != scalar.</summary>
        public Tensor ne(Scalar other) => BinaryScalar(Aten.ne_Scalar, this, other);
        /// <summary>Elementwise &lt;.</summary>
        public Tensor lt(Tensor other) => Binary(Aten.lt_Tensor, this, other);
        /// <summary>Elementwise &lt; scalar.</summary>
        public Tensor lt(Scalar other) => BinaryScalar(Aten.lt_Scalar, this, other);
        /// <summary>Elementwise ≤.</summary>
        public Tensor le(Tensor other) => Binary(Aten.le_Tensor, this, other);
        /// <summary>Elementwise ≤ scalar.</summary>
        public Tensor le(Scalar other) => BinaryScalar(Aten.le_Scalar, this, other);
        /// <summary>Elementwise &gt;.</summary>
        public Tensor gt(Tensor other) => Binary(Aten.gt_Tensor, this, other);
        /// <summary>Elementwise &gt; scalar.</summary>
        public Tensor gt(Scalar other) => BinaryScalar(Aten.gt_Scalar, this, other);
        /// <summary>Elementwise ≥.</summary>
        public Tensor ge(Tensor other) => Binary(Aten.ge_Tensor, this, other);
        /// <summary>Elementwise ≥ scalar.</summary>
        public Tensor ge(Scalar other) => BinaryScalar(Aten.ge_Scalar, this, other);
        /// <summary>Logical and.</summary>
        public Tensor logical_and(Tensor other) => Binary(Aten.logical_and, this, other);
        /// <summary>Logical or.</summary>
        public Tensor logical_or(Tensor other) => Binary(Aten.logical_or, this, other);
        /// <summary>Logical xor.</summary>
        public Tensor logical_xor(Tensor other) => Binary(Aten.logical_xor, this, other);
        /// <summary>Logical not.</summary>
        public Tensor logical_not() => Unary(Aten.logical_not, this);
        /// <summary>NaN test.</summary>
        public Tensor isnan() => Unary(Aten.isnan, this);
        /// <summary>±∞ test.</summary>
        public Tensor isinf() => Unary(Aten.isinf, this);
        /// <summary>Finite test.</summary>
        public Tensor isfinite() => Unary(Aten.isfinite, this);
        /// <summary>True when both tensors have the same shape and elements.</summary>
        public bool equal(Tensor other)
        {
            var c = new OpCall(Aten.equal);
            c.Tensor(this); c.Tensor(other);
            return c.ToScalar().ToBoolean();
        }
        /// <summary>|a − b| ≤ atol + rtol·|b| everywhere.</summary>
        public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false)
        {
            var c = new OpCall(Aten.allclose);
            c.Tensor(this); c.Tensor(other); c.Double(rtol); c.Double(atol); c.Bool(equal_nan);
            return c.ToScalar().ToBoolean();
        }

        // ---- softmax family and linear algebra

        /// <summary>Softmax along <paramref name="dim"/> (optionally computed in <paramref name="dtype"/>).</summary>
        public Tensor softmax(long dim, ScalarType? dtype = null)
        {
            var c = new OpCall(Aten.softmax_int);
            c.Tensor(this); c.Int(dim); c.OptionalDType(dtype);
            return c.ToTensor();
        }
        /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
        public Tensor log_softmax(long dim, ScalarType? dtype = null)
        {
            var c = new OpCall(Aten.log_softmax_int);
            c.Tensor(this); c.Int(dim); c.OptionalDType(dtype);
            return c.ToTensor();
        }
        /// <summary>log Σ exp along <paramref name="dim"/>.</summary>
        public Tensor logsumexp(long dim, bool keepdim = false)
        {
            var c = new OpCall(Aten.logsumexp);
            c.Tensor(this); c.IntList([dim]); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Matrix product with NumPy broadcasting rules.</summary>
        public Tensor matmul(Tensor other) => Binary(Aten.matmul, this, other);
        /// <summary>2-D matrix product.</summary>
        public Tensor mm(Tensor other) => Binary(Aten.mm, this, other);
        /// <summary>Batched matrix product of 3-D tensors.</summary>
        public Tensor bmm(Tensor other) => Binary(Aten.bmm, this, other);
        /// <summary>beta·this + alpha·(batch1 @ batch2).</summary>
        public Tensor baddbmm(Tensor batch1, Tensor batch2, Scalar? beta = null, Scalar? alpha = null)
        {
            var c = new OpCall(Aten.baddbmm);
            c.Tensor(this); c.Tensor(batch1); c.Tensor(batch2); c.Scalar(beta ?? 1); c.Scalar(alpha ?? 1);
            return c.ToTensor();
        }
        /// <summary>beta·this + alpha·(mat1 @ mat2).</summary>
        public Tensor addmm(Tensor mat1, Tensor mat2, Scalar? beta = null, Scalar? alpha = null)
        {
            var c = new OpCall(Aten.addmm);
            c.Tensor(this); c.Tensor(mat1); c.Tensor(mat2); c.Scalar(beta ?? 1); c.Scalar(alpha ?? 1);
            return c.ToTensor();
        }
        /// <summary>Inner product of 1-D tensors.</summary>
        public Tensor dot(Tensor other) => Binary(Aten.dot, this, other);
        /// <summary>Outer product of 1-D tensors.</summary>
        public Tensor outer(Tensor other) => Binary(Aten.outer, this, other);
        /// <summary>Vector p-norm over <paramref name="dim"/> (all elements when null).</summary>
        public Tensor norm(double p = 2, long[]? dim = null, bool keepdim = false)
        {
            var c = new OpCall(Aten.linalg_vector_norm);
            c.Tensor(this); c.Scalar(p); c.OptionalIntList(dim); c.Bool(keepdim);
            return c.ToTensor();
        }
        /// <summary>Vector p-norm over one dimension.</summary>
        public Tensor norm(long dim, bool keepdim = false, double p = 2) => norm(p, [dim], keepdim);

        // ---- operators

#pragma warning disable CS1591 // operators mirror the methods above
        public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
        public static Tensor operator +(Tensor a, Scalar b) => a.add(b);
        public static Tensor operator +(Scalar a, Tensor b) => b.add(a);
        public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
        public static Tensor operator -(Tensor a, Scalar b) => a.sub(b);
        public static Tensor operator -(Scalar a, Tensor b) => BinaryScalar(Aten.rsub_Scalar, b, a);
        public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
        public static Tensor operator *(Tensor a, Scalar b) => a.mul(b);
        public static Tensor operator *(Scalar a, Tensor b) => b.mul(a);
        public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
        public static Tensor operator /(Tensor a, Scalar b) => a.div(b);
        public static Tensor operator /(Scalar a, Tensor b)
        {
            // As PyTorch's __rtruediv__: reciprocal(b) * a. Out of place: reciprocal's backward needs its own output.
            using var r = b.reciprocal();
            return r.mul(a);
        }
        public static Tensor operator -(Tensor a) => a.neg();
        public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
        public static Tensor operator <(Tensor a, Scalar b) => a.lt(b);
        public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
        public static Tensor operator >(Tensor a, Scalar b) => a.gt(b);
        public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
        public static Tensor operator <=(Tensor a, Scalar b) => a.le(b);
        public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
        public static Tensor operator >=(Tensor a, Scalar b) => a.ge(b);
        public static Tensor operator &(Tensor a, Tensor b) => a.logical_and(b);
        public static Tensor operator |(Tensor a, Tensor b) => a.logical_or(b);
        public static Tensor operator ^(Tensor a, Tensor b) => a.logical_xor(b);
        public static Tensor operator !(Tensor a) => a.logical_not();
        public static Tensor operator <(Scalar a, Tensor b) => b.gt(a);
        public static Tensor operator >(Scalar a, Tensor b) => b.lt(a);
        public static Tensor operator <=(Scalar a, Tensor b) => b.ge(a);
        public static Tensor operator >=(Scalar a, Tensor b) => b.le(a);
#pragma warning restore CS1591
    }
}
