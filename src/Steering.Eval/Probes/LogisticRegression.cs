using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>
/// L2-regularised logistic regression (binary: one sigmoid logit; K ≥ 3 classes: softmax) for linear probes, plus
/// stratified K-fold cross-validation (paper b App. C.3: "logistic regression with 5-fold stratified CV").
/// </summary>
/// <remarks>
/// The objective (1/n)·Σ_i −log p(y_i | x_i) + (λ/2)·‖W‖²_F is minimised from zero with L-BFGS (history
/// <see cref="LogisticRegressionOptions.HistorySize"/>, Armijo backtracking). L-BFGS was chosen over Newton/IRLS because probe
/// inputs are wide (residual width or SAE width, thousands of columns) and it needs no d×d Hessian; the method is fully
/// deterministic and, with λ &gt; 0, converges to the unique optimum of the strictly convex objective.
/// With <see cref="LogisticRegressionOptions.Standardize"/> the training columns are centred (only when an intercept is
/// fitted) and scaled to unit population variance; the penalty then acts on standardised coefficients.
/// </remarks>
public static class LogisticRegression
{
    /// <summary>Fits a model to rows of features and their class labels 0..K−1 (every class present).</summary>
    /// <param name="features">n rows of d finite values.</param>
    /// <param name="labels">n class labels.</param>
    /// <param name="options">Settings; <see cref="LogisticRegressionOptions.Default"/> when null.</param>
    public static LogisticRegressionModel Fit(double[][] features, ReadOnlySpan<int> labels, LogisticRegressionOptions? options = null) =>
        Fit(DesignMatrix.FromJagged(features, labels), options ?? LogisticRegressionOptions.Default);

    /// <summary>Fits a model to a row-major n × d block.</summary>
    /// <param name="rowMajor">n·d finite values, row-major.</param>
    /// <param name="columns">Number of features d.</param>
    /// <param name="labels">n class labels 0..K−1.</param>
    /// <param name="options">Settings; <see cref="LogisticRegressionOptions.Default"/> when null.</param>
    public static LogisticRegressionModel Fit(ReadOnlySpan<double> rowMajor, int columns, ReadOnlySpan<int> labels, LogisticRegressionOptions? options = null) =>
        Fit(DesignMatrix.FromRowMajor(rowMajor, columns, labels), options ?? LogisticRegressionOptions.Default);

    /// <summary>Stratified K-fold cross-validated accuracy (each fold's model is fitted, and standardised, on its training part only).</summary>
    /// <param name="features">n rows of d finite values.</param>
    /// <param name="labels">n class labels 0..K−1; each class needs at least <paramref name="folds"/> samples.</param>
    /// <param name="options">Model settings.</param>
    /// <param name="folds">Number of folds (default 5).</param>
    /// <param name="seed">Fold-assignment seed.</param>
    public static CrossValidationResult CrossValidate(
        double[][] features, ReadOnlySpan<int> labels, LogisticRegressionOptions? options = null, int folds = StratifiedKFold.DefaultFolds, ulong seed = 0) =>
        CrossValidate(DesignMatrix.FromJagged(features, labels), options ?? LogisticRegressionOptions.Default, folds, seed);

    /// <summary>Stratified K-fold cross-validated accuracy on a row-major n × d block.</summary>
    /// <param name="rowMajor">n·d finite values, row-major.</param>
    /// <param name="columns">Number of features d.</param>
    /// <param name="labels">n class labels 0..K−1; each class needs at least <paramref name="folds"/> samples.</param>
    /// <param name="options">Model settings.</param>
    /// <param name="folds">Number of folds (default 5).</param>
    /// <param name="seed">Fold-assignment seed.</param>
    public static CrossValidationResult CrossValidate(
        ReadOnlySpan<double> rowMajor, int columns, ReadOnlySpan<int> labels, LogisticRegressionOptions? options = null,
        int folds = StratifiedKFold.DefaultFolds, ulong seed = 0) =>
        CrossValidate(DesignMatrix.FromRowMajor(rowMajor, columns, labels), options ?? LogisticRegressionOptions.Default, folds, seed);

    private static CrossValidationResult CrossValidate(DesignMatrix data, LogisticRegressionOptions options, int folds, ulong seed)
    {
        options.Validate();
        IReadOnlyList<FoldSplit> splits = StratifiedKFold.Split(data.Labels, folds, seed);
        var accuracies = new double[splits.Count];
        for (int f = 0; f < splits.Count; f++)
        {
            DesignMatrix train = data.Subset(splits[f].TrainIndices);
            DesignMatrix test = data.Subset(splits[f].TestIndices);
            if (train.ClassCount != data.ClassCount)
            {
                throw new ArgumentException($"Fold {f}'s training part lacks some classes.");
            }

            LogisticRegressionModel model = Fit(train, options);
            accuracies[f] = model.Accuracy(test);
        }

        (double mean, double variance) = EffectSize.MeanAndSampleVariance(accuracies);
        return new CrossValidationResult(accuracies, mean, Math.Sqrt(variance));
    }

    private static LogisticRegressionModel Fit(DesignMatrix data, LogisticRegressionOptions options)
    {
        options.Validate();
        int n = data.Rows;
        int d = data.Columns;
        var center = new double[d];
        var scale = new double[d];
        Array.Fill(scale, 1.0);
        double[] x = data.Values;
        if (options.Standardize)
        {
            x = new double[data.Values.Length];
            for (int j = 0; j < d; j++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                {
                    sum += data.Values[(i * d) + j];
                }

                double mean = sum / n;
                double ss = 0;
                for (int i = 0; i < n; i++)
                {
                    double dev = data.Values[(i * d) + j] - mean;
                    ss += dev * dev;
                }

                double sd = Math.Sqrt(ss / n);
                center[j] = options.FitIntercept ? mean : 0.0;
                scale[j] = sd > 1e-12 * Math.Max(1.0, Math.Abs(mean)) ? sd : 1.0;
            }

            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    x[(i * d) + j] = (data.Values[(i * d) + j] - center[j]) / scale[j];
                }
            }
        }

        var objective = new LogisticObjective(x, data.Labels, n, d, data.ClassCount, options.L2Penalty, options.FitIntercept);
        LbfgsResult solution = Lbfgs.Minimize(
            objective.Evaluate, new double[objective.ParameterCount], options.HistorySize, options.MaxIterations, options.GradientTolerance);

        int logits = objective.LogitCount;
        var weights = new double[logits][];
        var intercepts = new double[logits];
        for (int k = 0; k < logits; k++)
        {
            weights[k] = new double[d];
            double b = options.FitIntercept ? solution.X[(logits * d) + k] : 0.0;
            for (int j = 0; j < d; j++)
            {
                double w = solution.X[(k * d) + j];
                weights[k][j] = w / scale[j];
                b -= w * center[j] / scale[j];
            }

            intercepts[k] = b;
        }

        return new LogisticRegressionModel(
            weights, intercepts, data.ClassCount, d, solution.Value, solution.GradientInfNorm, solution.Iterations, solution.Converged);
    }
}
