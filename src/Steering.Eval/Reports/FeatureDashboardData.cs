using DiffusionSteering.Sae.Core;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>A window of tokens with the feature's activation on each (one row of "top-activating contexts").</summary>
public sealed record ActivatingContext
{
    /// <summary>Creates a context; tokens and activations must have the same, non-zero length and finite activations.</summary>
    public ActivatingContext(IReadOnlyList<string> tokens, IReadOnlyList<double> activations, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(activations);
        if (tokens.Count == 0) throw new ArgumentException("A context needs at least one token.", nameof(tokens));
        if (tokens.Count != activations.Count)
            throw new ArgumentException($"Length mismatch: {tokens.Count} tokens but {activations.Count} activations.", nameof(activations));
        Markup.RequireFinite(activations, "context activations", nameof(activations));
        Tokens = tokens.Select(t => t ?? string.Empty).ToArray();
        Activations = activations.ToArray();
        Source = source;
    }

    /// <summary>Token strings.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Activation per token.</summary>
    public IReadOnlyList<double> Activations { get; }

    /// <summary>Where it comes from (e.g. "prompt 3 · step 12 · 40% masked"), shown before the tokens.</summary>
    public string? Source { get; }

    /// <summary>Largest activation.</summary>
    public double MaxActivation => Activations.Max();

    /// <summary>Index of the largest activation (the first on ties); Neuronpedia's <c>qualifying_token_index</c>.</summary>
    public int MaxIndex
    {
        get
        {
            var best = 0;
            for (var i = 1; i < Activations.Count; i++) if (Activations[i] > Activations[best]) best = i;
            return best;
        }
    }

    /// <summary>
    /// The window [center − before, center + after] (clipped to the sequence) of a longer sequence, SAE-Vis' <c>buffer=(5, 5)</c>.
    /// </summary>
    public static ActivatingContext Window(IReadOnlyList<string> tokens, IReadOnlyList<double> activations, int center, int before = 5, int after = 5, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(activations);
        if (tokens.Count != activations.Count)
            throw new ArgumentException($"Length mismatch: {tokens.Count} tokens but {activations.Count} activations.", nameof(activations));
        if (center < 0 || center >= tokens.Count) throw new ArgumentException($"center {center} is outside [0, {tokens.Count}).", nameof(center));
        if (before < 0 || after < 0) throw new ArgumentException("before and after must be ≥ 0.");
        var start = Math.Max(0, center - before);
        var end = Math.Min(tokens.Count - 1, center + after);
        return new ActivatingContext(tokens.Skip(start).Take(end - start + 1).ToArray(), activations.Skip(start).Take(end - start + 1).ToArray(), source);
    }

    /// <summary>The <paramref name="count"/> contexts with the largest maximum activation, largest first.</summary>
    public static IReadOnlyList<ActivatingContext> Top(IEnumerable<ActivatingContext> contexts, int count = 20)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        if (count < 1) throw new ArgumentException($"count must be at least 1; got {count}.", nameof(count));
        return contexts.OrderByDescending(c => c.MaxActivation).Take(count).ToArray();
    }
}

/// <summary>A group of contexts from one activation interval (SAE-Vis' quantile groups).</summary>
/// <param name="Title">Heading, e.g. "Interval 0.5–1.0".</param>
/// <param name="BinMin">Lower activation bound of the interval.</param>
/// <param name="BinMax">Upper activation bound.</param>
/// <param name="BinContains">Fraction of non-zero activations that fall into the interval.</param>
/// <param name="Contexts">Sample contexts.</param>
public sealed record ContextGroup(string Title, double BinMin, double BinMax, double BinContains, IReadOnlyList<ActivatingContext> Contexts);

/// <summary>An output token and its logit effect.</summary>
/// <param name="TokenId">Vocabulary id.</param>
/// <param name="Token">Its string.</param>
/// <param name="Value">(W_U · W_dec[f]) of the token.</param>
public sealed record TokenLogit(long TokenId, string Token, double Value);

/// <summary>
/// The direct effect of a feature's decoder direction on the output logits, W_U · W_dec[f] (SAE-Vis' logit table and
/// histogram; no final norm is applied, as in SAE-Vis): the most boosted and most suppressed tokens and the
/// distribution over the vocabulary.
/// </summary>
/// <param name="Top">Most boosted tokens, largest first.</param>
/// <param name="Bottom">Most suppressed tokens, smallest first.</param>
/// <param name="Distribution">Histogram of the effect over the whole vocabulary.</param>
public sealed record LogitEffects(IReadOnlyList<TokenLogit> Top, IReadOnlyList<TokenLogit> Bottom, Histogram Distribution)
{
    /// <summary>Computes the effects of a direction [d] through an unembedding [V, d].</summary>
    /// <param name="unembedding">W_U as [V, d] (the LM head's weight).</param>
    /// <param name="direction">The feature's decoder direction [d].</param>
    /// <param name="tokenToString">Token id → display string.</param>
    /// <param name="count">Tokens per table (default 10, SAE-Vis' <c>n_rows</c>).</param>
    /// <param name="bins">Histogram bins (default 50).</param>
    public static LogitEffects Compute(Tensor unembedding, Tensor direction, Func<long, string> tokenToString, int count = 10, int bins = 50)
    {
        ArgumentNullException.ThrowIfNull(unembedding);
        ArgumentNullException.ThrowIfNull(direction);
        ArgumentNullException.ThrowIfNull(tokenToString);
        if (unembedding.dim() != 2) throw new ArgumentException($"The unembedding must be [V, d]; got {unembedding.dim()} dimensions.", nameof(unembedding));
        if (direction.dim() != 1) throw new ArgumentException($"The direction must be [d]; got {direction.dim()} dimensions.", nameof(direction));
        if (unembedding.size(1) != direction.size(0))
            throw new ArgumentException($"Length mismatch: the unembedding has width {unembedding.size(1)} but the direction has {direction.size(0)} entries.", nameof(direction));
        if (count < 1) throw new ArgumentException($"count must be at least 1; got {count}.", nameof(count));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = unembedding.to(ScalarType.Float32).matmul(direction.to(unembedding.device, ScalarType.Float32)).cpu();
        var values = logits.data<float>().Select(v => (double)v).ToArray();
        for (var i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i])) throw new ArgumentException($"The logit effect of token {i} is {values[i]}; the unembedding or direction contains NaN or infinity.");
        var n = Math.Min(count, values.Length);
        var order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).ToArray();
        var top = order.Take(n).Select(i => new TokenLogit(i, tokenToString(i) ?? string.Empty, values[i])).ToArray();
        var bottom = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ThenBy(i => i).Take(n).Select(i => new TokenLogit(i, tokenToString(i) ?? string.Empty, values[i])).ToArray();
        return new LogitEffects(top, bottom, Histogram.Compute(values, bins));
    }

    /// <summary>Computes the effects of SAE feature <paramref name="feature"/> (row of W_dec) through the unembedding.</summary>
    public static LogitEffects Compute(ISparseAutoencoder sae, long feature, Tensor unembedding, Func<long, string> tokenToString, int count = 10, int bins = 50)
    {
        ArgumentNullException.ThrowIfNull(sae);
        if (feature < 0 || feature >= sae.DSae) throw new ArgumentException($"Feature {feature} is outside [0, {sae.DSae}).", nameof(feature));
        using var direction = sae.DecoderDirection(feature);
        return Compute(unembedding, direction, tokenToString, count, bins);
    }
}

/// <summary>
/// Mean activation of a feature at each denoising step, separately on positions that were masked and unmasked in the
/// step's input (the DLM axis of the dashboard). NaN where no position was in that state at that step.
/// </summary>
/// <param name="MaskedMean">Mean activation on masked positions per step.</param>
/// <param name="UnmaskedMean">Mean activation on unmasked positions per step.</param>
public sealed record FeatureStepProfile(IReadOnlyList<double> MaskedMean, IReadOnlyList<double> UnmaskedMean)
{
    /// <summary>Fraction of masked positions with a non-zero activation per step (optional).</summary>
    public IReadOnlyList<double>? MaskedActiveFraction { get; init; }

    /// <summary>Fraction of unmasked positions with a non-zero activation per step (optional).</summary>
    public IReadOnlyList<double>? UnmaskedActiveFraction { get; init; }

    /// <summary>Steps.</summary>
    public int Steps => MaskedMean.Count;

    internal void Validate()
    {
        if (MaskedMean is null || UnmaskedMean is null) throw new ArgumentException("The step profile needs both masked and unmasked means.");
        if (MaskedMean.Count == 0) throw new ArgumentException("The step profile has no step.");
        if (MaskedMean.Count != UnmaskedMean.Count)
            throw new ArgumentException($"Length mismatch: {MaskedMean.Count} masked means but {UnmaskedMean.Count} unmasked means.");
        foreach (var (list, name) in new[] { (MaskedMean, "masked"), (UnmaskedMean, "unmasked"), (MaskedActiveFraction, "masked active fraction"), (UnmaskedActiveFraction, "unmasked active fraction") })
        {
            if (list is null) continue;
            if (list.Count != MaskedMean.Count) throw new ArgumentException($"Length mismatch: the {name} series has {list.Count} steps, expected {MaskedMean.Count}.");
            for (var i = 0; i < list.Count; i++)
                if (double.IsInfinity(list[i])) throw new ArgumentException($"The {name} series is infinite at step {i}.");
        }
        if (MaskedMean.All(double.IsNaN) && UnmaskedMean.All(double.IsNaN)) throw new ArgumentException("The step profile has no finite value.");
    }
}

/// <summary>Everything the dashboard of one SAE feature shows (and the Neuronpedia export writes).</summary>
public sealed record FeatureDashboardData
{
    /// <summary>Latent index.</summary>
    public required long FeatureIndex { get; init; }

    /// <summary>Model name or id.</summary>
    public string? ModelId { get; init; }

    /// <summary>SAE set / name (Neuronpedia <c>sae_set</c>).</summary>
    public string? SaeId { get; init; }

    /// <summary>Layer of the SAE.</summary>
    public int? Layer { get; init; }

    /// <summary>Hook point name.</summary>
    public string? HookName { get; init; }

    /// <summary>Dataset the contexts come from.</summary>
    public string? Dataset { get; init; }

    /// <summary>A human explanation or label, if any.</summary>
    public string? Explanation { get; init; }

    /// <summary>Top-activating contexts (shown largest first).</summary>
    public IReadOnlyList<ActivatingContext> TopContexts { get; init; } = [];

    /// <summary>Optional interval groups of contexts.</summary>
    public IReadOnlyList<ContextGroup> QuantileGroups { get; init; } = [];

    /// <summary>Activation density (histogram of non-zero activations and fraction non-zero).</summary>
    public ActivationDensity? Density { get; init; }

    /// <summary>Logit effects through the unembedding.</summary>
    public LogitEffects? Logits { get; init; }

    /// <summary>Activation by denoising step and mask state.</summary>
    public FeatureStepProfile? StepProfile { get; init; }

    /// <summary>Prompts the statistics were gathered on (Neuronpedia <c>n_prompts_total</c>).</summary>
    public int PromptsTotal { get; init; }

    /// <summary>Tokens per prompt (Neuronpedia <c>n_tokens_in_prompt</c>).</summary>
    public int TokensPerPrompt { get; init; }

    /// <summary>The decoder direction W_dec[f] (Neuronpedia <c>vector</c>; also gives the neuron-alignment table).</summary>
    public IReadOnlyList<float>? DecoderVector { get; init; }
}
