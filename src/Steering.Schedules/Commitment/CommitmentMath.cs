namespace DiffusionSteering.Steering.Schedules.Commitment;

/// <summary>
/// The mathematics of commitment timing ("Steering Without Breaking", arXiv 2605.10971, App. C and Theorem 1), on plain
/// arrays so every step can be checked by hand.
/// </summary>
public static class CommitmentMath
{
    /// <summary>
    /// Centered moving average with window w (odd or even; at the edges the window shrinks to the available steps).
    /// Window ≤ 1 returns a copy.
    /// </summary>
    public static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        if (window <= 1)
        {
            for (var i = 0; i < values.Count; i++) result[i] = values[i];
            return result;
        }
        var before = (window - 1) / 2;
        var after = window - 1 - before;
        for (var i = 0; i < values.Count; i++)
        {
            int lo = Math.Max(0, i - before), hi = Math.Min(values.Count - 1, i + after);
            double sum = 0;
            for (var j = lo; j <= hi; j++) sum += values[j];
            result[i] = sum / (hi - lo + 1);
        }
        return result;
    }

    /// <summary>Min–max normalisation to [0, 1] (a constant curve maps to zeros).</summary>
    public static double[] MinMaxNormalize(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return [];
        var min = values.Min();
        var max = values.Max();
        var range = max - min;
        return values.Select(v => range > 0 ? (v - min) / range : 0.0).ToArray();
    }

    /// <summary>
    /// Emergence curve (paper b, App. C, Fig. 6): |h̄(t) − h̄(0)|, moving average, min–max normalised to [0, 1].
    /// </summary>
    public static double[] EmergenceCurve(IReadOnlyList<double> meanActivation, int smoothingWindow = 1)
    {
        if (meanActivation.Count == 0) throw new ArgumentException("the activation curve is empty");
        var deviation = meanActivation.Select(v => Math.Abs(v - meanActivation[0])).ToArray();
        return MinMaxNormalize(MovingAverage(deviation, smoothingWindow));
    }

    /// <summary>
    /// K-block fractions (paper b, App. C, Fig. 2b): split the T-step curve into K equal temporal blocks,
    /// δ_b = h(e_b) − h(s_b), clamp at 0, normalise to sum 1 (all zeros when nothing increases). Blocks share their
    /// boundary steps (s_b = ⌊b(T−1)/K⌋, e_b = s_{b+1}) so that every step-to-step change is counted exactly once —
    /// our reading; with disjoint blocks the change between two blocks would be lost.
    /// </summary>
    public static double[] BlockFractions(IReadOnlyList<double> curve, int blocks = 8)
    {
        if (blocks < 1) throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "K must be at least 1");
        if (curve.Count < 2) throw new ArgumentException($"a curve of {curve.Count} steps has no change to split into blocks");
        var increases = new double[blocks];
        for (var b = 0; b < blocks; b++)
        {
            var start = (int)((long)b * (curve.Count - 1) / blocks);
            var end = (int)((long)(b + 1) * (curve.Count - 1) / blocks);
            increases[b] = Math.Max(0, curve[end] - curve[start]);
        }
        var total = increases.Sum();
        return increases.Select(d => total > 0 ? d / total : 0).ToArray();
    }

    /// <summary>
    /// Per-step commitment signal s_t = max(0, h(t+1) − h(t)) for t &lt; T−1 (the change step t causes, seen in the next
    /// step's input) and s_{T−1} = 0 (its effect is never observed). Our definition; the paper's is not public.
    /// </summary>
    public static double[] StepSignal(IReadOnlyList<double> curve)
    {
        var s = new double[curve.Count];
        for (var t = 0; t + 1 < curve.Count; t++) s[t] = Math.Max(0, curve[t + 1] - curve[t]);
        return s;
    }

    /// <summary>
    /// CV_c(s/c): the coefficient of variation of s_t/c_t under the weights c_t/Σc (Theorem 1's dispersion statistic).
    /// </summary>
    public static double CoefficientOfVariation(IReadOnlyList<double> signal, IReadOnlyList<double> cost)
    {
        CheckProfile(signal, cost);
        double sumC = 0, sumS = 0, sumS2OverC = 0;
        for (var t = 0; t < signal.Count; t++)
        {
            sumC += cost[t];
            sumS += signal[t];
            sumS2OverC += signal[t] * signal[t] / cost[t];
        }
        if (sumS <= 0) return 0;
        var meanRatio = sumS / sumC;                    // E_c[s/c]
        var meanSquare = sumS2OverC / sumC;             // E_c[(s/c)²]
        return Math.Sqrt(Math.Max(0, meanSquare / (meanRatio * meanRatio) - 1));
    }

    /// <summary>Predicted efficiency ratio ρ = √(1 + CV²_c(s/c)) (Theorem 1, arXiv 2605.10971).</summary>
    public static double EfficiencyRatio(IReadOnlyList<double> signal, IReadOnlyList<double> cost)
    {
        var cv = CoefficientOfVariation(signal, cost);
        return Math.Sqrt(1 + cv * cv);
    }

    internal static void CheckProfile(IReadOnlyList<double> signal, IReadOnlyList<double> cost)
    {
        if (signal.Count == 0) throw new ArgumentException("the profile has no steps");
        if (signal.Count != cost.Count) throw new ArgumentException($"signal has {signal.Count} steps but cost has {cost.Count}");
        for (var t = 0; t < signal.Count; t++)
        {
            if (!(signal[t] >= 0) || double.IsInfinity(signal[t])) throw new ArgumentException($"signal at step {t} must be finite and ≥ 0, got {signal[t]}");
            if (!(cost[t] > 0) || double.IsInfinity(cost[t])) throw new ArgumentException($"cost at step {t} must be finite and > 0, got {cost[t]}");
        }
    }
}
