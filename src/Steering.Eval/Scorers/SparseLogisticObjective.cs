using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>Rows of a sparse matrix in compressed-row form (column indices ascending within a row).</summary>
internal sealed class SparseRows
{
    public SparseRows(int[] rowStart, int[] columns, double[] values, int columnCount)
    {
        RowStart = rowStart;
        Columns = columns;
        Values = values;
        ColumnCount = columnCount;
    }

    /// <summary>Row r occupies entries RowStart[r] .. RowStart[r + 1] − 1.</summary>
    public int[] RowStart { get; }

    public int[] Columns { get; }

    public double[] Values { get; }

    public int ColumnCount { get; }

    public int RowCount => RowStart.Length - 1;

    /// <summary>The dense copy of row r.</summary>
    public double[] DenseRow(int r)
    {
        var row = new double[ColumnCount];
        for (int e = RowStart[r]; e < RowStart[r + 1]; e++)
        {
            row[Columns[e]] = Values[e];
        }

        return row;
    }

    public static SparseRows FromRows(IReadOnlyList<IReadOnlyList<(int Column, double Value)>> rows, int columnCount)
    {
        var rowStart = new int[rows.Count + 1];
        var columns = new List<int>();
        var values = new List<double>();
        for (int r = 0; r < rows.Count; r++)
        {
            foreach ((int c, double v) in rows[r].OrderBy(e => e.Column))
            {
                columns.Add(c);
                values.Add(v);
            }

            rowStart[r + 1] = columns.Count;
        }

        return new SparseRows(rowStart, columns.ToArray(), values.ToArray(), columnCount);
    }
}

/// <summary>
/// The objective of <see cref="LogisticRegression"/> (mean cross-entropy + (λ/2)·‖W‖², intercepts unpenalised, no
/// standardisation) over sparse rows, with the same parameter layout [W (L × d, row-major), b (L)], L = 1 for two
/// classes and K otherwise, so that the solution maps onto a <see cref="LogisticRegressionModel"/> unchanged.
/// </summary>
internal sealed class SparseLogisticObjective
{
    private readonly SparseRows _x;
    private readonly int[] _y;
    private readonly int _d;
    private readonly int _logits;
    private readonly double _lambda;

    public SparseLogisticObjective(SparseRows x, int[] y, int classCount, double lambda)
    {
        _x = x;
        _y = y;
        _d = x.ColumnCount;
        _logits = classCount == 2 ? 1 : classCount;
        _lambda = lambda;
    }

    public int ParameterCount => (_logits * _d) + _logits;

    public int LogitCount => _logits;

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        gradient.Clear();
        int n = _x.RowCount;
        int biasOffset = _logits * _d;
        var z = new double[_logits];
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            int start = _x.RowStart[i], end = _x.RowStart[i + 1];
            for (int k = 0; k < _logits; k++)
            {
                double zk = theta[biasOffset + k];
                int offset = k * _d;
                for (int e = start; e < end; e++)
                {
                    zk += theta[offset + _x.Columns[e]] * _x.Values[e];
                }

                z[k] = zk;
            }

            int yi = _y[i];
            if (_logits == 1)
            {
                double zi = z[0];
                loss += (zi > 0 ? zi + Math.Log(1.0 + Math.Exp(-zi)) : Math.Log(1.0 + Math.Exp(zi))) - (yi * zi);
                Accumulate(gradient, 0, ScorerMath.Sigmoid(zi) - yi, start, end, biasOffset);
            }
            else
            {
                double max = z.Max();
                double sumExp = 0;
                for (int k = 0; k < _logits; k++)
                {
                    sumExp += Math.Exp(z[k] - max);
                }

                double logSumExp = max + Math.Log(sumExp);
                loss += logSumExp - z[yi];
                for (int k = 0; k < _logits; k++)
                {
                    Accumulate(gradient, k, Math.Exp(z[k] - logSumExp) - (k == yi ? 1.0 : 0.0), start, end, biasOffset);
                }
            }
        }

        double invN = 1.0 / n;
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

    private void Accumulate(Span<double> gradient, int k, double residual, int start, int end, int biasOffset)
    {
        int offset = k * _d;
        for (int e = start; e < end; e++)
        {
            gradient[offset + _x.Columns[e]] += residual * _x.Values[e];
        }

        gradient[biasOffset + k] += residual;
    }

    /// <summary>Fits the model by L-BFGS from zero, exactly as <see cref="LogisticRegression"/> does for dense data.</summary>
    public static LogisticRegressionModel Fit(SparseRows x, int[] y, int classCount, LogisticRegressionOptions options)
    {
        options.Validate();
        var objective = new SparseLogisticObjective(x, y, classCount, options.L2Penalty);
        LbfgsResult solution = Lbfgs.Minimize(
            objective.Evaluate, new double[objective.ParameterCount], options.HistorySize, options.MaxIterations, options.GradientTolerance);
        int d = x.ColumnCount;
        int logits = objective.LogitCount;
        var weights = new double[logits][];
        var intercepts = new double[logits];
        for (int k = 0; k < logits; k++)
        {
            weights[k] = solution.X.AsSpan(k * d, d).ToArray();
            intercepts[k] = solution.X[(logits * d) + k];
        }

        return new LogisticRegressionModel(
            weights, intercepts, classCount, d, solution.Value, solution.GradientInfNorm, solution.Iterations, solution.Converged);
    }
}
