namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>How the two sample variances are pooled into the denominator of Cohen's d.</summary>
public enum CohensDPooling
{
    /// <summary>
    /// Classic degrees-of-freedom weighted pooling: s_p² = ((n_a − 1)·s_a² + (n_b − 1)·s_b²) / (n_a + n_b − 2).
    /// </summary>
    Weighted,

    /// <summary>
    /// Unweighted average of the two sample variances, s_p² = (s_a² + s_b²) / 2, as in paper b's feature selection
    /// (App. C.5.2, its Eq. 16). Equal to <see cref="Weighted"/> when n_a = n_b.
    /// </summary>
    Averaged,
}
