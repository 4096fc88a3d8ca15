namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>
/// Paper b's contrastive SAE-feature selection (App. C.5.2 steps 5–7) as a two-stage streaming pipeline:
/// <list type="number">
/// <item>Stream all activations of each class into a <see cref="FeatureMoments"/> (Welford), then
/// <see cref="RankCandidates"/> computes Cohen's d per feature and picks the top M by |d|.</item>
/// <item>Stream the activations again into <see cref="ContrastiveCandidates.CreateSampleBuffer"/> (only the M candidate
/// columns are stored), then <see cref="Select(ContrastiveCandidates, ContrastiveSampleBuffer, ContrastiveSelectionOptions?)"/>
/// runs a Mann–Whitney U test per candidate, Bonferroni-corrects over the tested set, keeps the strongest significant
/// features per direction and takes the leading ones as the steering set.</item>
/// </list>
/// <see cref="Run"/> does both stages for data that fits in memory.
/// </summary>
public static class ContrastiveFeatureSelection
{
    /// <summary>Stage 1: effect sizes for all features and the top-M candidates by |d|.</summary>
    /// <param name="classA">Moments of class A (at least two rows).</param>
    /// <param name="classB">Moments of class B over the same features (at least two rows).</param>
    /// <param name="options">Pipeline options; paper-b defaults when null.</param>
    public static ContrastiveCandidates RankCandidates(FeatureMoments classA, FeatureMoments classB, ContrastiveSelectionOptions? options = null)
    {
        options ??= ContrastiveSelectionOptions.Default;
        options.Validate();
        // Paper b, App. C.5.2 Eq. 16: per-feature Cohen's d with pooled SD sqrt((Var_A + Var_B) / 2).
        double[] d = EffectSize.CohensD(classA, classB, options.Pooling);
        // Paper b, App. C.5.2 step 7: rank features by |d| and keep the top M (300) as Mann–Whitney candidates.
        var order = new int[d.Length];
        for (int j = 0; j < order.Length; j++)
        {
            order[j] = j;
        }

        Array.Sort(order, (x, y) =>
        {
            int byMagnitude = Math.Abs(d[y]).CompareTo(Math.Abs(d[x]));
            return byMagnitude != 0 ? byMagnitude : x.CompareTo(y);
        });

        int m = Math.Min(options.CandidateCount, d.Length);
        return new ContrastiveCandidates(order[..m], d, classA.GetMeans(), classB.GetMeans(), classA.Count, classB.Count);
    }

    /// <summary>Stage 2 from a buffer created by <see cref="ContrastiveCandidates.CreateSampleBuffer"/>.</summary>
    /// <param name="candidates">Stage-1 result.</param>
    /// <param name="samples">Raw candidate values per class (at least one row each).</param>
    /// <param name="options">Pipeline options; paper-b defaults when null.</param>
    public static ContrastiveSelectionResult Select(
        ContrastiveCandidates candidates, ContrastiveSampleBuffer samples, ContrastiveSelectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(samples);
        if (!candidates.Features.SequenceEqual(samples.Features))
        {
            throw new ArgumentException("The sample buffer was built for a different candidate list; use candidates.CreateSampleBuffer().", nameof(samples));
        }

        if (samples.RowCount(ContrastiveClass.A) == 0 || samples.RowCount(ContrastiveClass.B) == 0)
        {
            throw new ArgumentException(
                $"Both classes need raw samples; got {samples.RowCount(ContrastiveClass.A)} rows for A and {samples.RowCount(ContrastiveClass.B)} for B.",
                nameof(samples));
        }

        options ??= ContrastiveSelectionOptions.Default;
        return Build(
            candidates,
            options,
            k => MannWhitney.Test(samples.Samples(ContrastiveClass.A, k), samples.Samples(ContrastiveClass.B, k), options.ContinuityCorrection));
    }

    /// <summary>Stage 2 from raw candidate values given as arrays (element k belongs to <c>candidates.Features[k]</c>).</summary>
    /// <param name="candidates">Stage-1 result.</param>
    /// <param name="samplesA">Raw class-A values per candidate (non-empty, finite).</param>
    /// <param name="samplesB">Raw class-B values per candidate (non-empty, finite).</param>
    /// <param name="options">Pipeline options; paper-b defaults when null.</param>
    public static ContrastiveSelectionResult Select(
        ContrastiveCandidates candidates,
        IReadOnlyList<double[]> samplesA,
        IReadOnlyList<double[]> samplesB,
        ContrastiveSelectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(samplesA);
        ArgumentNullException.ThrowIfNull(samplesB);
        InputGuard.SameLength(candidates.Features.Count, samplesA.Count, nameof(samplesA));
        InputGuard.SameLength(candidates.Features.Count, samplesB.Count, nameof(samplesB));
        options ??= ContrastiveSelectionOptions.Default;
        return Build(candidates, options, k => MannWhitney.Test(samplesA[k], samplesB[k], options.ContinuityCorrection));
    }

    /// <summary>Both stages on in-memory row-major activations (n_A × F and n_B × F).</summary>
    /// <param name="classA">Row-major activations of class A (at least two rows).</param>
    /// <param name="classB">Row-major activations of class B (at least two rows).</param>
    /// <param name="featureCount">Number of features F.</param>
    /// <param name="options">Pipeline options; paper-b defaults when null.</param>
    public static ContrastiveSelectionResult Run(
        ReadOnlySpan<double> classA, ReadOnlySpan<double> classB, int featureCount, ContrastiveSelectionOptions? options = null)
    {
        var momentsA = new FeatureMoments(featureCount);
        var momentsB = new FeatureMoments(featureCount);
        momentsA.AddBatch(classA);
        momentsB.AddBatch(classB);
        ContrastiveCandidates candidates = RankCandidates(momentsA, momentsB, options);
        ContrastiveSampleBuffer buffer = candidates.CreateSampleBuffer();
        buffer.AddBatch(ContrastiveClass.A, classA);
        buffer.AddBatch(ContrastiveClass.B, classB);
        return Select(candidates, buffer, options);
    }

    private static ContrastiveSelectionResult Build(
        ContrastiveCandidates candidates, ContrastiveSelectionOptions options, Func<int, MannWhitneyResult> test)
    {
        options.Validate();
        int m = candidates.Features.Count;
        var tests = new MannWhitneyResult[m];
        var p = new double[m];
        for (int k = 0; k < m; k++)
        {
            tests[k] = test(k);
            p[k] = tests[k].PValue;
        }

        // Paper b, App. C.5.2 step 7: Mann–Whitney p < 0.01, Bonferroni-corrected over the tested set.
        double[] adjusted = MultipleTesting.Bonferroni(p, m);
        var tested = new ContrastiveFeature[m];
        var positive = new List<ContrastiveFeature>();
        var negative = new List<ContrastiveFeature>();
        for (int k = 0; k < m; k++)
        {
            int feature = candidates.Features[k];
            double d = candidates.EffectSizes[feature];
            FeatureDirection direction = d > 0 ? FeatureDirection.Positive : d < 0 ? FeatureDirection.Negative : FeatureDirection.None;
            bool significant = adjusted[k] < options.Alpha && Math.Abs(d) > options.MinAbsEffectSize;
            var entry = new ContrastiveFeature(
                feature, k, d, candidates.MeansA[feature], candidates.MeansB[feature],
                tests[k].U, tests[k].Z, p[k], adjusted[k], direction, significant);
            tested[k] = entry;
            if (!significant)
            {
                continue;
            }

            // Paper b, App. C.5.2 step 7: keep the top 50 positive-d and 50 negative-d significant features; the first 20 of each steer.
            if (direction == FeatureDirection.Positive && positive.Count < options.KeepPerDirection)
            {
                positive.Add(entry);
            }
            else if (direction == FeatureDirection.Negative && negative.Count < options.KeepPerDirection)
            {
                negative.Add(entry);
            }
        }

        return new ContrastiveSelectionResult(
            tested,
            positive,
            negative,
            positive.Take(options.SteerPerDirection).ToArray(),
            negative.Take(options.SteerPerDirection).ToArray());
    }
}
