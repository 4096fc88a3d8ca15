namespace DiffusionSteering.Torch.Tests;

/// <summary>Seeded random inputs (System.Random, so expectations never depend on libtorch's generators).</summary>
internal static class Rng
{
    public static float[] Floats(int seed, long n, double lo = -1, double hi = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (var i = 0; i < n; i++) a[i] = (float)(lo + (hi - lo) * r.NextDouble());
        return a;
    }

    public static double[] Doubles(int seed, long n, double lo = -1, double hi = 1)
    {
        var r = new Random(seed);
        var a = new double[n];
        for (var i = 0; i < n; i++) a[i] = lo + (hi - lo) * r.NextDouble();
        return a;
    }

    public static long[] Longs(int seed, long n, long lo, long hi)
    {
        var r = new Random(seed);
        var a = new long[n];
        for (var i = 0; i < n; i++) a[i] = r.NextInt64(lo, hi);
        return a;
    }

    /// <summary>A random permutation of 0..n-1 (distinct indices).</summary>
    public static long[] Permutation(int seed, long n)
    {
        var a = new long[n];
        for (var i = 0; i < n; i++) a[i] = i;
        new Random(seed).Shuffle(a);
        return a;
    }
}

/// <summary>Naive, loop-based reference computations over row-major arrays.</summary>
internal static class Naive
{
    public static long Numel(long[] shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        return n;
    }

    public static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (var d = shape.Length - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
        return strides;
    }

    public static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    public static long Ravel(long[] index, long[] shape)
    {
        long flat = 0;
        for (var d = 0; d < shape.Length; d++) flat = flat * shape[d] + index[d];
        return flat;
    }

    public static long[] BroadcastShape(long[] a, long[] b)
    {
        var n = Math.Max(a.Length, b.Length);
        var result = new long[n];
        for (var i = 0; i < n; i++)
        {
            var da = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            var db = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            if (da != db && da != 1 && db != 1) throw new ArgumentException("not broadcastable");
            result[i] = Math.Max(da, db);
        }
        return result;
    }

    /// <summary>Flat position in an array of <paramref name="shape"/> of the element broadcast to <paramref name="outIndex"/>.</summary>
    public static long BroadcastOffset(long[] outIndex, long[] shape)
    {
        long flat = 0;
        var shift = outIndex.Length - shape.Length;
        for (var d = 0; d < shape.Length; d++)
            flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIndex[d + shift]);
        return flat;
    }

    public static double[] Map(double[] a, Func<double, double> f) => a.Select(f).ToArray();

    public static double[] Map(float[] a, Func<double, double> f) => a.Select(x => f(x)).ToArray();

    public static double[] Zip(double[] a, long[] sa, double[] b, long[] sb, Func<double, double, double> f, out long[] shape)
    {
        shape = BroadcastShape(sa, sb);
        var result = new double[Numel(shape)];
        for (long i = 0; i < result.Length; i++)
        {
            var idx = Unravel(i, shape);
            result[i] = f(a[BroadcastOffset(idx, sa)], b[BroadcastOffset(idx, sb)]);
        }
        return result;
    }

    public static double[] Zip3(double[] a, long[] sa, double[] b, long[] sb, double[] c, long[] sc,
        Func<double, double, double, double> f, out long[] shape)
    {
        shape = BroadcastShape(BroadcastShape(sa, sb), sc);
        var result = new double[Numel(shape)];
        for (long i = 0; i < result.Length; i++)
        {
            var idx = Unravel(i, shape);
            result[i] = f(a[BroadcastOffset(idx, sa)], b[BroadcastOffset(idx, sb)], c[BroadcastOffset(idx, sc)]);
        }
        return result;
    }

    /// <summary>[m,k] @ [k,n].</summary>
    public static double[] MatMul(double[] a, double[] b, long m, long k, long n)
    {
        var c = new double[m * n];
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++)
            {
                double s = 0;
                for (long p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = s;
            }
        return c;
    }

    public static double[] Transpose(double[] a, long rows, long cols)
    {
        var t = new double[a.Length];
        for (long i = 0; i < rows; i++)
            for (long j = 0; j < cols; j++)
                t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /// <summary>Permutes the dimensions of a row-major array: out dim d is input dim perm[d].</summary>
    public static double[] Permute(double[] a, long[] shape, long[] perm, out long[] outShape)
    {
        outShape = perm.Select(p => shape[p]).ToArray();
        var result = new double[a.Length];
        for (long i = 0; i < a.Length; i++)
        {
            var oi = Unravel(i, outShape);
            var ii = new long[shape.Length];
            for (var d = 0; d < perm.Length; d++) ii[perm[d]] = oi[d];
            result[i] = a[Ravel(ii, shape)];
        }
        return result;
    }

    /// <summary>The flat positions of every lane along <paramref name="dim"/>, in row-major order of the other dims.</summary>
    public static List<long[]> Lanes(long[] shape, int dim)
    {
        long outer = 1, inner = 1;
        for (var d = 0; d < dim; d++) outer *= shape[d];
        for (var d = dim + 1; d < shape.Length; d++) inner *= shape[d];
        var size = shape[dim];
        var lanes = new List<long[]>();
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                var lane = new long[size];
                for (long k = 0; k < size; k++) lane[k] = (o * size + k) * inner + i;
                lanes.Add(lane);
            }
        return lanes;
    }

    /// <summary>Reduces each lane along <paramref name="dim"/> to one value (output: shape without dim, row-major).</summary>
    public static double[] Reduce(double[] a, long[] shape, int dim, Func<double[], double> f) =>
        Lanes(shape, dim).Select(lane => f(lane.Select(p => a[p]).ToArray())).ToArray();

    /// <summary>Transforms each lane along <paramref name="dim"/> (output: same shape).</summary>
    public static double[] AlongDim(double[] a, long[] shape, int dim, Func<double[], double[]> f)
    {
        var result = new double[a.Length];
        foreach (var lane in Lanes(shape, dim))
        {
            var values = f(lane.Select(p => a[p]).ToArray());
            for (var k = 0; k < lane.Length; k++) result[lane[k]] = values[k];
        }
        return result;
    }

    public static double[] Softmax(double[] x)
    {
        var m = x.Max();
        var e = x.Select(v => Math.Exp(v - m)).ToArray();
        var s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    public static double LogSumExp(double[] x)
    {
        var m = x.Max();
        return m + Math.Log(x.Sum(v => Math.Exp(v - m)));
    }

    public static double Mean(double[] x) => x.Sum() / x.Length;

    public static double Var(double[] x, bool unbiased)
    {
        var m = Mean(x);
        return x.Sum(v => (v - m) * (v - m)) / (x.Length - (unbiased ? 1 : 0));
    }

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// erf via erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!! — every term positive, so no cancellation; exact to
    /// double rounding for |x| ≤ 6 (|erf| = 1 in double beyond).
    /// </summary>
    public static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x > 6) return 1;
        double term = x, sum = x;
        for (var n = 1; n < 500; n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    public static double GeluExact(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    public static double[] ToDouble(float[] a) => a.Select(v => (double)v).ToArray();
}
