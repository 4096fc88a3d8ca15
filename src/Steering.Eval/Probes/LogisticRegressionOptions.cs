namespace DiffusionSteering.Steering.Eval.Probes;

/// <summary>Settings of <see cref="LogisticRegression"/>.</summary>
/// <remarks>
/// The fitted objective is (1/n)·Σ_i −log p(y_i | x_i) + (λ/2)·‖W‖²_F with λ = <see cref="L2Penalty"/>; intercepts are
/// not penalised. scikit-learn's <c>C</c> corresponds to λ = 1 / (C·n).
/// </remarks>
public sealed record LogisticRegressionOptions
{
    /// <summary>L2 penalty λ ≥ 0 on the coefficients (default 1e-3). λ &gt; 0 makes the optimum unique even for separable data.</summary>
    public double L2Penalty { get; init; } = 1e-3;

    /// <summary>Standardise each feature to zero mean and unit (population) variance on the training data before fitting (default true).
    /// Reported coefficients are mapped back to the original feature scale. Constant features are centred only.</summary>
    public bool Standardize { get; init; } = true;

    /// <summary>Fit unpenalised intercepts (default true).</summary>
    public bool FitIntercept { get; init; } = true;

    /// <summary>Maximum L-BFGS iterations (default 1,000).</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Convergence when the largest absolute gradient component falls below this value (default 1e-8).</summary>
    public double GradientTolerance { get; init; } = 1e-8;

    /// <summary>Number of L-BFGS correction pairs kept (default 10).</summary>
    public int HistorySize { get; init; } = 10;

    /// <summary>Default settings.</summary>
    public static LogisticRegressionOptions Default { get; } = new();

    internal void Validate()
    {
        if (!(L2Penalty >= 0.0) || double.IsInfinity(L2Penalty))
        {
            throw new ArgumentException($"L2Penalty must be a finite non-negative number; got {L2Penalty}.", nameof(L2Penalty));
        }

        if (MaxIterations < 1)
        {
            throw new ArgumentException($"MaxIterations must be at least 1; got {MaxIterations}.", nameof(MaxIterations));
        }

        if (!(GradientTolerance > 0.0))
        {
            throw new ArgumentException($"GradientTolerance must be positive; got {GradientTolerance}.", nameof(GradientTolerance));
        }

        if (HistorySize < 1)
        {
            throw new ArgumentException($"HistorySize must be at least 1; got {HistorySize}.", nameof(HistorySize));
        }
    }
}
