namespace DiffusionSteering.Steering.Eval.DecodingOrder;

/// <summary>
/// The decoding-order metrics of DLM-Scope (paper a, §"decoding order" and App. H; code <c>dlm_order/dlm_order.py</c>) as
/// pure functions on arrays. Notation: z⁽ᵏ⁾ᵢ is the SAE code of position i in the forward pass of step k (whose input is
/// x⁽ᵏ⁾), 𝓜ₖ the positions masked in x⁽ᵏ⁾, T the number of steps, J the Jaccard index.
/// <list type="bullet">
/// <item>Eq. 20, pre-mask stability: S^pre(k) = mean over i ∈ 𝓜ₖ ∩ 𝓜ₖ₋₁ of J(TopK z⁽ᵏ⁾ᵢ, TopK z⁽ᵏ⁻¹⁾ᵢ).</item>
/// <item>Eq. 21, decode step τᵢ = min{k : x⁽ᵏ⁾ᵢ ≠ [MASK]} (over positions that were masked before), and post-decode
/// drift D = mean over (i, k &gt; τᵢ) of 1 − J(TopK z⁽ᵏ⁾ᵢ, TopK z⁽ᵏ⁻¹⁾ᵢ) (or vs z⁽τᵢ⁾ᵢ, <see cref="DriftReference"/>).</item>
/// <item>Eq. 22, top1⁽ᵏ⁾ᵢ = argmaxⱼ |z⁽ᵏ⁾ᵢⱼ|.</item>
/// <item>Eq. 23, lock rate: #{(i, k) : i ∈ 𝓜ₖ ∩ 𝓜ₖ₋₁, top1⁽ᵏ⁾ᵢ = top1⁽ᵏ⁻¹⁾ᵢ} / #{(i, k) : i ∈ 𝓜ₖ ∩ 𝓜ₖ₋₁}.</item>
/// <item>Eq. 24, flip count of a decoded position: Σ_{k &gt; τᵢ} 1[top1⁽ᵏ⁾ᵢ ≠ top1⁽ᵏ⁻¹⁾ᵢ].</item>
/// </list>
/// Conventions (ours where the paper is silent): TopK keeps only strictly positive latents (a code with fewer than K
/// active latents gives a smaller set, never padding zeros), ties go to the lower index; J(∅, ∅) = 1; top1 of an
/// all-zero code is −1 (so two all-zero codes count as locked); prompt positions, never masked, have no τ and are
/// excluded from drift and flips (the paper's τ = 0 would include them); the lock rate uses the same masked-at-both-steps
/// transitions as Eq. 20 (identical to the paper's "i ∈ 𝓜ₖ" when masks only shrink, as in LLaDA, Dream and MDLM).
/// A transition k contributes at normalised progress k/T.
/// </summary>
public static class DecodingOrderMath
{
    /// <summary>
    /// Indices of the (at most) <paramref name="k"/> largest strictly positive entries of <paramref name="code"/>, sorted
    /// ascending (ties broken towards the lower index).
    /// </summary>
    public static int[] TopKSet(ReadOnlySpan<float> code, int k)
    {
        if (k < 1) throw new ArgumentException($"k must be at least 1; got {k}.", nameof(k));
        var chosen = new List<(float value, int index)>(Math.Min(k, code.Length));
        for (var j = 0; j < code.Length; j++)
        {
            var v = code[j];
            if (float.IsNaN(v)) throw new ArgumentException($"Latent {j} is NaN; SAE codes must be finite.", nameof(code));
            if (!(v > 0)) continue;
            if (chosen.Count < k) chosen.Add((v, j));
            else
            {
                // replace the current smallest (latest index among equal values) if v is strictly larger
                var worst = 0;
                for (var c = 1; c < chosen.Count; c++)
                    if (chosen[c].value < chosen[worst].value || (chosen[c].value == chosen[worst].value && chosen[c].index > chosen[worst].index)) worst = c;
                if (v > chosen[worst].value) chosen[worst] = (v, j);
            }
        }
        var result = chosen.Select(c => c.index).ToArray();
        Array.Sort(result);
        return result;
    }

    /// <summary>argmaxⱼ |zⱼ| (DLM-Scope Eq. 22), the lowest index on ties, −1 when every entry is zero.</summary>
    public static int Top1(ReadOnlySpan<float> code)
    {
        var best = -1;
        var bestValue = 0f;
        for (var j = 0; j < code.Length; j++)
        {
            var v = code[j];
            if (float.IsNaN(v)) throw new ArgumentException($"Latent {j} is NaN; SAE codes must be finite.", nameof(code));
            var a = Math.Abs(v);
            if (a > bestValue)
            {
                bestValue = a;
                best = j;
            }
        }
        return best;
    }

    /// <summary>
    /// Jaccard index |A ∩ B| / |A ∪ B| of two sets of latent indices given as ascending arrays without duplicates;
    /// 1 when both are empty.
    /// </summary>
    public static double Jaccard(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        CheckSortedSet(a, nameof(a));
        CheckSortedSet(b, nameof(b));
        if (a.IsEmpty && b.IsEmpty) return 1.0;
        int i = 0, j = 0, intersection = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                intersection++;
                i++;
                j++;
            }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return (double)intersection / (a.Length + b.Length - intersection);
    }

    /// <summary>Bin of normalised progress k/T among <paramref name="bins"/> equal bins of [0, 1] (the last bin is closed).</summary>
    public static int ProgressBin(int step, int totalSteps, int bins)
    {
        if (totalSteps < 1) throw new ArgumentException($"totalSteps must be at least 1; got {totalSteps}.", nameof(totalSteps));
        if (step < 0 || step > totalSteps) throw new ArgumentException($"step {step} is outside [0, {totalSteps}].", nameof(step));
        if (bins < 1) throw new ArgumentException($"bins must be at least 1; got {bins}.", nameof(bins));
        var bin = (int)Math.Floor((double)step / totalSteps * bins);
        return Math.Min(bin, bins - 1);
    }

    /// <summary>
    /// Computes the four metrics of one layer from recorded trajectories (one per sequence): each trajectory holds, for
    /// steps 0..S−1, the SAE code of every position and which positions were masked in the step's input.
    /// </summary>
    /// <param name="trajectories">At least one trajectory.</param>
    /// <param name="options">Top-K, bins, drift reference; defaults when null (<see cref="DecodingOrderOptions.Code"/> is not used here).</param>
    /// <param name="layer">Label of the layer (stored in the result).</param>
    public static DecodingOrderLayerResult Evaluate(IReadOnlyList<LatentTrajectory> trajectories, DecodingOrderOptions? options = null, int layer = 0)
    {
        ArgumentNullException.ThrowIfNull(trajectories);
        options ??= DecodingOrderOptions.Default;
        options.Validate();
        if (trajectories.Count == 0) throw new ArgumentException("At least one trajectory is required.", nameof(trajectories));
        var accumulator = new LayerAccumulator(layer, options);
        for (var t = 0; t < trajectories.Count; t++)
        {
            var trajectory = trajectories[t] ?? throw new ArgumentException($"Trajectory {t} is null.", nameof(trajectories));
            trajectory.Validate($"trajectories[{t}]");
            accumulator.BeginRun(1, trajectory.Positions, trajectory.Steps);
            for (var k = 0; k < trajectory.Codes.Count; k++)
            {
                var sets = new int[trajectory.Positions][];
                var top1 = new int[trajectory.Positions];
                for (var i = 0; i < trajectory.Positions; i++)
                {
                    sets[i] = TopKSet(trajectory.Codes[k][i], options.TopK);
                    top1[i] = Top1(trajectory.Codes[k][i]);
                }
                accumulator.Step(k, sets, top1, trajectory.Masked[k]);
            }
            accumulator.EndRun();
        }
        return accumulator.Build();
    }

    private static void CheckSortedSet(ReadOnlySpan<int> set, string name)
    {
        for (var i = 1; i < set.Length; i++)
            if (set[i] <= set[i - 1]) throw new ArgumentException($"Latent sets must be strictly ascending; entry {i} ({set[i]}) follows {set[i - 1]}.", name);
    }
}

/// <summary>
/// The recorded trajectory of one sequence at one layer: <see cref="Codes"/>[k][i] is the SAE code (length d_sae) of
/// position i in the forward pass of step k, <see cref="Masked"/>[k][i] whether i was masked in that step's input.
/// </summary>
/// <param name="Codes">Codes per step and position.</param>
/// <param name="Masked">Mask state per step and position (same shape as the first two axes of Codes).</param>
/// <param name="TotalSteps">T of the run (for k/T); the number of recorded steps when null.</param>
public sealed record LatentTrajectory(IReadOnlyList<float[][]> Codes, IReadOnlyList<bool[]> Masked, int? TotalSteps = null)
{
    /// <summary>Positions per step.</summary>
    public int Positions => Codes.Count == 0 ? 0 : Codes[0].Length;

    /// <summary>T used for progress.</summary>
    public int Steps => TotalSteps ?? Codes.Count;

    internal void Validate(string name)
    {
        if (Codes is null || Masked is null) throw new ArgumentException($"{name}: codes and masks are required.", name);
        if (Codes.Count == 0) throw new ArgumentException($"{name}: the trajectory has no step.", name);
        if (Masked.Count != Codes.Count)
            throw new ArgumentException($"{name}: {Codes.Count} steps of codes but {Masked.Count} steps of masks (lengths must match).", name);
        if (Steps < Codes.Count) throw new ArgumentException($"{name}: TotalSteps {Steps} is smaller than the {Codes.Count} recorded steps.", name);
        var positions = Positions;
        if (positions == 0) throw new ArgumentException($"{name}: step 0 has no position.", name);
        int? width = null;
        for (var k = 0; k < Codes.Count; k++)
        {
            if (Codes[k] is null || Codes[k].Length != positions)
                throw new ArgumentException($"{name}: step {k} has {Codes[k]?.Length ?? 0} positions of codes, expected {positions} (lengths must match).", name);
            if (Masked[k] is null || Masked[k].Length != positions)
                throw new ArgumentException($"{name}: step {k} has {Masked[k]?.Length ?? 0} mask entries, expected {positions} (lengths must match).", name);
            for (var i = 0; i < positions; i++)
            {
                var code = Codes[k][i] ?? throw new ArgumentException($"{name}: code of step {k}, position {i} is null.", name);
                width ??= code.Length;
                if (code.Length != width || code.Length == 0)
                    throw new ArgumentException($"{name}: code of step {k}, position {i} has {code.Length} latents, expected {width} (lengths must match).", name);
                for (var j = 0; j < code.Length; j++)
                    if (!float.IsFinite(code[j]))
                        throw new ArgumentException($"{name}: latent {j} of step {k}, position {i} is {code[j]}; codes must be finite (no NaN).", name);
            }
        }
    }
}
