namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>
/// Penalised mean cross-entropy of (multinomial) logistic regression and its gradient. Parameters are laid out as
/// [W (L × d, row-major), b (L)] with L = 1 logit (class 1 vs 0) for binary problems and L = K for softmax.
/// </summary>
internal sealed class LogisticObjective
{
    private readonly double[] _x;
    private readonly int[] _y;
    private readonly int _n;
    private readonly int _d;
    private readonly int _logits;
    private readonly double _lambda;
    private readonly bool _fitIntercept;

    public LogisticObjective(double[] x, int[] y, int rows, int columns, int classCount, double lambda, bool fitIntercept)
    {
        _x = x;
        _y = y;
        _n = rows;
        _d = columns;
        _logits = classCount == 2 ? 1 : classCount;
        _lambda = lambda;
        _fitIntercept = fitIntercept;
    }

    public int ParameterCount => (_logits * _d) + _logits;

    public int LogitCount => _logits;

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        gradient.Clear();
        int biasOffset = _logits * _d;
        double loss = 0;
        if (_logits == 1)
        {
            ReadOnlySpan<double> w = theta[.._d];
            double b = _fitIntercept ? theta[biasOffset] : 0.0;
            Span<double> gw = gradient[.._d];
            double gb = 0;
            for (int i = 0; i < _n; i++)
            {
                ReadOnlySpan<double> xi = _x.AsSpan(i * _d, _d);
                double z = b + VectorOps.Dot(w, xi);
                int yi = _y[i];
                loss += Softplus(z) - (yi * z); // −log σ(z) for y = 1, −log(1 − σ(z)) for y = 0
                double r = Sigmoid(z) - yi;
                VectorOps.Axpy(r, xi, gw);
                gb += r;
            }

            gradient[biasOffset] = _fitIntercept ? gb : 0.0;
        }
        else
        {
            double[] zBuffer = new double[_logits];
            for (int i = 0; i < _n; i++)
            {
                ReadOnlySpan<double> xi = _x.AsSpan(i * _d, _d);
                double max = double.NegativeInfinity;
                for (int k = 0; k < _logits; k++)
                {
                    double zk = (_fitIntercept ? theta[biasOffset + k] : 0.0) + VectorOps.Dot(theta.Slice(k * _d, _d), xi);
                    zBuffer[k] = zk;
                    max = Math.Max(max, zk);
                }

                double sumExp = 0;
                for (int k = 0; k < _logits; k++)
                {
                    sumExp += Math.Exp(zBuffer[k] - max);
                }

                double logSumExp = max + Math.Log(sumExp);
                int yi = _y[i];
                loss += logSumExp - zBuffer[yi];
                for (int k = 0; k < _logits; k++)
                {
                    double r = Math.Exp(zBuffer[k] - logSumExp) - (k == yi ? 1.0 : 0.0);
                    VectorOps.Axpy(r, xi, gradient.Slice(k * _d, _d));
                    if (_fitIntercept)
                    {
                        gradient[biasOffset + k] += r;
                    }
                }
            }
        }

        double invN = 1.0 / _n;
        double penalty = 0;
        for (int p = 0; p < biasOffset; p++)
        {
            penalty += theta[p] * theta[p];
            gradient[p] = (gradient[p] * invN) + (_lambda * theta[p]);
        }

        for (int p = biasOffset; p < gradient.Length; p++)
        {
            gradient[p] *= invN;
        }

        return (loss * invN) + (0.5 * _lambda * penalty);
    }

    internal static double Softplus(double z) => z > 0 ? z + Math.Log(1.0 + Math.Exp(-z)) : Math.Log(1.0 + Math.Exp(z));

    internal static double Sigmoid(double z)
    {
        if (z >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-z));
        }

        double e = Math.Exp(z);
        return e / (1.0 + e);
    }
}
