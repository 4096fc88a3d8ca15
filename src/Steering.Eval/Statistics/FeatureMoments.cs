namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// Streaming per-feature mean and variance for a fixed number of features, updated with row-major batches
/// (n rows × F features) and mergeable across shards.
/// </summary>
/// <remarks>
/// Rows are absorbed one at a time with Welford's update (paper b, App. C.5.2 step 5: "Welford's online algorithm"),
/// which subtracts the running mean before squaring and therefore stays accurate when the values carry a large
/// common offset (e.g. 1e9 + small noise), unlike the sum-of-squares formula. In addition each feature is shifted by
/// its first observed value ("shifted data"), so the running mean is kept as a small correction to that shift and does
/// not accumulate rounding at the scale of the offset. Shards are combined with Chan, Golub and LeVeque's pairwise
/// merge. Every row contributes to every feature, so one count serves all features.
/// Instances are not thread-safe; accumulate per thread and <see cref="Merge"/>.
/// </remarks>
public sealed class FeatureMoments
{
    private readonly double[] _shift; // first observed value per feature
    private readonly double[] _mean; // running mean of (x − shift)
    private readonly double[] _m2;

    /// <summary>Creates an empty accumulator for <paramref name="featureCount"/> features.</summary>
    /// <param name="featureCount">Number of features F (columns), at least 1.</param>
    public FeatureMoments(int featureCount)
    {
        InputGuard.AtLeast(featureCount, 1, nameof(featureCount));
        _shift = new double[featureCount];
        _mean = new double[featureCount];
        _m2 = new double[featureCount];
    }

    private FeatureMoments(double[] shift, double[] mean, double[] m2, long count)
    {
        _shift = shift;
        _mean = mean;
        _m2 = m2;
        Count = count;
    }

    /// <summary>Number of features F.</summary>
    public int FeatureCount => _mean.Length;

    /// <summary>Number of rows (observations per feature) absorbed so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds one observation row of length <see cref="FeatureCount"/>.</summary>
    /// <param name="row">One value per feature; all finite.</param>
    public void AddRow(ReadOnlySpan<double> row)
    {
        InputGuard.SameLength(FeatureCount, row.Length, nameof(row));
        InputGuard.AllFinite(row, nameof(row));
        AbsorbRow(row);
    }

    /// <summary>Adds a row-major block of n × F values (n = length / F); the whole block is validated before any update.</summary>
    /// <param name="batch">Row-major values; length must be a multiple of <see cref="FeatureCount"/> and all finite.</param>
    public void AddBatch(ReadOnlySpan<double> batch)
    {
        int rows = RowsIn(batch.Length, nameof(batch));
        InputGuard.AllFinite(batch, nameof(batch));
        int f = FeatureCount;
        for (int r = 0; r < rows; r++)
        {
            AbsorbRow(batch.Slice(r * f, f));
        }
    }

    /// <summary>Adds a row-major block of n × F single-precision values; accumulation is in double.</summary>
    /// <param name="batch">Row-major values; length must be a multiple of <see cref="FeatureCount"/> and all finite.</param>
    public void AddBatch(ReadOnlySpan<float> batch)
    {
        int rows = RowsIn(batch.Length, nameof(batch));
        InputGuard.AllFinite(batch, nameof(batch));
        int f = FeatureCount;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = batch.Slice(r * f, f);
            if (Count == 0)
            {
                for (int j = 0; j < f; j++)
                {
                    _shift[j] = row[j];
                }
            }

            long n = ++Count;
            double invN = 1.0 / n;
            for (int j = 0; j < f; j++)
            {
                // Paper b, App. C.5.2 step 5 (Welford): δ = x − m, m += δ/n, M2 += δ·(x − m), on shifted values.
                double x = row[j] - _shift[j];
                double delta = x - _mean[j];
                _mean[j] += delta * invN;
                _m2[j] += delta * (x - _mean[j]);
            }
        }
    }

    /// <summary>
    /// Folds the statistics of <paramref name="other"/> into this instance (Chan et al. parallel merge:
    /// δ = m_b − m_a, m = m_a + δ·n_b/n, M2 = M2_a + M2_b + δ²·n_a·n_b/n). <paramref name="other"/> is unchanged.
    /// </summary>
    /// <param name="other">Accumulator over the same features.</param>
    public void Merge(FeatureMoments other)
    {
        ArgumentNullException.ThrowIfNull(other);
        InputGuard.SameLength(FeatureCount, other.FeatureCount, nameof(other));
        if (other.Count == 0)
        {
            return;
        }

        if (Count == 0)
        {
            Array.Copy(other._shift, _shift, _shift.Length);
            Array.Copy(other._mean, _mean, _mean.Length);
            Array.Copy(other._m2, _m2, _m2.Length);
            Count = other.Count;
            return;
        }

        double na = Count;
        double nb = other.Count;
        double n = na + nb;
        for (int j = 0; j < _mean.Length; j++)
        {
            // Both means expressed relative to this instance's shift; the shift difference is exact for nearby values.
            double delta = (other._shift[j] - _shift[j]) + (other._mean[j] - _mean[j]);
            _mean[j] += delta * (nb / n);
            _m2[j] += other._m2[j] + delta * delta * (na * nb / n);
        }

        Count += other.Count;
    }

    /// <summary>Returns an independent copy of this accumulator.</summary>
    public FeatureMoments Clone() => new((double[])_shift.Clone(), (double[])_mean.Clone(), (double[])_m2.Clone(), Count);

    /// <summary>Mean of feature <paramref name="feature"/>; requires at least one row.</summary>
    /// <param name="feature">Feature index in [0, F).</param>
    public double Mean(int feature)
    {
        CheckFeature(feature);
        RequireCount(1);
        return _shift[feature] + _mean[feature];
    }

    /// <summary>Sum of squared deviations from the mean (M2) of feature <paramref name="feature"/>.</summary>
    /// <param name="feature">Feature index in [0, F).</param>
    public double SumOfSquaredDeviations(int feature)
    {
        CheckFeature(feature);
        return _m2[feature];
    }

    /// <summary>Unbiased sample variance M2 / (n − 1); requires at least two rows.</summary>
    /// <param name="feature">Feature index in [0, F).</param>
    public double SampleVariance(int feature)
    {
        CheckFeature(feature);
        RequireCount(2);
        return _m2[feature] / (Count - 1);
    }

    /// <summary>Population variance M2 / n; requires at least one row.</summary>
    /// <param name="feature">Feature index in [0, F).</param>
    public double PopulationVariance(int feature)
    {
        CheckFeature(feature);
        RequireCount(1);
        return _m2[feature] / Count;
    }

    /// <summary>Copy of all feature means.</summary>
    public double[] GetMeans()
    {
        RequireCount(1);
        var means = new double[_mean.Length];
        for (int j = 0; j < means.Length; j++)
        {
            means[j] = _shift[j] + _mean[j];
        }

        return means;
    }

    /// <summary>All sample variances M2 / (n − 1); requires at least two rows.</summary>
    public double[] GetSampleVariances()
    {
        RequireCount(2);
        return Divide(Count - 1);
    }

    /// <summary>All population variances M2 / n; requires at least one row.</summary>
    public double[] GetPopulationVariances()
    {
        RequireCount(1);
        return Divide(Count);
    }

    private double[] Divide(long denominator)
    {
        var result = new double[_m2.Length];
        for (int j = 0; j < result.Length; j++)
        {
            result[j] = _m2[j] / denominator;
        }

        return result;
    }

    private void AbsorbRow(ReadOnlySpan<double> row)
    {
        if (Count == 0)
        {
            row.CopyTo(_shift);
        }

        long n = ++Count;
        double invN = 1.0 / n;
        for (int j = 0; j < row.Length; j++)
        {
            // Paper b, App. C.5.2 step 5 (Welford): δ = x − m, m += δ/n, M2 += δ·(x − m), on shifted values.
            double x = row[j] - _shift[j];
            double delta = x - _mean[j];
            _mean[j] += delta * invN;
            _m2[j] += delta * (x - _mean[j]);
        }
    }

    private int RowsIn(int length, string paramName)
    {
        if (length % FeatureCount != 0)
        {
            throw new ArgumentException(
                $"Batch length {length} is not a multiple of the feature count {FeatureCount}; expected row-major n × {FeatureCount} values.",
                paramName);
        }

        return length / FeatureCount;
    }

    private void CheckFeature(int feature)
    {
        if ((uint)feature >= (uint)_mean.Length)
        {
            throw new ArgumentException($"Feature index {feature} is outside [0, {_mean.Length}).", nameof(feature));
        }
    }

    private void RequireCount(long minimum)
    {
        if (Count < minimum)
        {
            throw new InvalidOperationException($"At least {minimum} row(s) are required; only {Count} have been added.");
        }
    }
}
