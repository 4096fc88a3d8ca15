using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>
/// One activation record of a Neuronpedia feature (SAEDashboard <c>NeuronpediaDashboardActivation.to_dict</c>): the top
/// group uses bin_min = −1, bin_max = the maximum activation, bin_contains = −1; interval groups their bounds and share.
/// </summary>
public sealed class NeuronpediaActivation
{
    /// <summary>Lower bound of the group's interval (−1 for the top group).</summary>
    [JsonPropertyName("bin_min")] public double BinMin { get; init; }

    /// <summary>Upper bound of the group's interval (the maximum activation for the top group).</summary>
    [JsonPropertyName("bin_max")] public double BinMax { get; init; }

    /// <summary>Fraction of activations in the interval (−1 for the top group).</summary>
    [JsonPropertyName("bin_contains")] public double BinContains { get; init; }

    /// <summary>Token strings.</summary>
    [JsonPropertyName("tokens")] public IReadOnlyList<string> Tokens { get; init; } = [];

    /// <summary>Activation per token (rounded to 3 decimals).</summary>
    [JsonPropertyName("values")] public IReadOnlyList<double> Values { get; init; } = [];

    /// <summary>Index of the token the context was selected for (its maximum).</summary>
    [JsonPropertyName("qualifying_token_index")] public int QualifyingTokenIndex { get; init; }
}

/// <summary>
/// A feature in Neuronpedia's dashboard schema (SAEDashboard <c>NeuronpediaDashboardFeature</c>; sae-anchors §4). Field
/// names are the schema's snake_case keys. Fields this library does not compute (correlated neurons/features,
/// attention-head weight distribution) are written as empty arrays, as SAEDashboard does when a table is off.
/// </summary>
public sealed class NeuronpediaFeature
{
    /// <summary>Latent index.</summary>
    [JsonPropertyName("feature_index")] public long FeatureIndex { get; init; }
    /// <summary>Residual dimensions with the largest |W_dec[f]| entries.</summary>
    [JsonPropertyName("neuron_alignment_indices")] public IReadOnlyList<int> NeuronAlignmentIndices { get; init; } = [];
    /// <summary>Their W_dec[f] values.</summary>
    [JsonPropertyName("neuron_alignment_values")] public IReadOnlyList<double> NeuronAlignmentValues { get; init; } = [];
    /// <summary>Their share of ‖W_dec[f]‖₁.</summary>
    [JsonPropertyName("neuron_alignment_l1")] public IReadOnlyList<double> NeuronAlignmentL1 { get; init; } = [];
    /// <summary>Correlated neurons (not computed: empty).</summary>
    [JsonPropertyName("correlated_neurons_indices")] public IReadOnlyList<int> CorrelatedNeuronsIndices { get; init; } = [];
    /// <summary>Correlated neurons' cosine (not computed: empty).</summary>
    [JsonPropertyName("correlated_neurons_l1")] public IReadOnlyList<double> CorrelatedNeuronsL1 { get; init; } = [];
    /// <summary>Correlated neurons' Pearson r (not computed: empty).</summary>
    [JsonPropertyName("correlated_neurons_pearson")] public IReadOnlyList<double> CorrelatedNeuronsPearson { get; init; } = [];
    /// <summary>Correlated features (not computed: empty).</summary>
    [JsonPropertyName("correlated_features_indices")] public IReadOnlyList<int> CorrelatedFeaturesIndices { get; init; } = [];
    /// <summary>Correlated features' cosine (not computed: empty).</summary>
    [JsonPropertyName("correlated_features_l1")] public IReadOnlyList<double> CorrelatedFeaturesL1 { get; init; } = [];
    /// <summary>Correlated features' Pearson r (not computed: empty).</summary>
    [JsonPropertyName("correlated_features_pearson")] public IReadOnlyList<double> CorrelatedFeaturesPearson { get; init; } = [];
    /// <summary>Most suppressed output tokens.</summary>
    [JsonPropertyName("neg_str")] public IReadOnlyList<string> NegStr { get; init; } = [];
    /// <summary>Their logit effects.</summary>
    [JsonPropertyName("neg_values")] public IReadOnlyList<double> NegValues { get; init; } = [];
    /// <summary>Most boosted output tokens.</summary>
    [JsonPropertyName("pos_str")] public IReadOnlyList<string> PosStr { get; init; } = [];
    /// <summary>Their logit effects.</summary>
    [JsonPropertyName("pos_values")] public IReadOnlyList<double> PosValues { get; init; } = [];
    /// <summary>Fraction of tokens where the feature is non-zero.</summary>
    [JsonPropertyName("frac_nonzero")] public double FracNonzero { get; init; }
    /// <summary>Activation histogram bin centres.</summary>
    [JsonPropertyName("freq_hist_data_bar_values")] public IReadOnlyList<double> FreqHistDataBarValues { get; init; } = [];
    /// <summary>Activation histogram counts.</summary>
    [JsonPropertyName("freq_hist_data_bar_heights")] public IReadOnlyList<double> FreqHistDataBarHeights { get; init; } = [];
    /// <summary>Logit histogram counts.</summary>
    [JsonPropertyName("logits_hist_data_bar_heights")] public IReadOnlyList<double> LogitsHistDataBarHeights { get; init; } = [];
    /// <summary>Logit histogram bin centres.</summary>
    [JsonPropertyName("logits_hist_data_bar_values")] public IReadOnlyList<double> LogitsHistDataBarValues { get; init; } = [];
    /// <summary>Prompts used.</summary>
    [JsonPropertyName("n_prompts_total")] public int NPromptsTotal { get; init; }
    /// <summary>Tokens per prompt.</summary>
    [JsonPropertyName("n_tokens_in_prompt")] public int NTokensInPrompt { get; init; }
    /// <summary>Dataset name.</summary>
    [JsonPropertyName("dataset")] public string Dataset { get; init; } = "";
    /// <summary>Per-head weight distribution (attention SAEs only: empty).</summary>
    [JsonPropertyName("decoder_weights_dist")] public IReadOnlyList<double> DecoderWeightsDist { get; init; } = [];
    /// <summary>Context records.</summary>
    [JsonPropertyName("activations")] public IReadOnlyList<NeuronpediaActivation> Activations { get; init; } = [];
    /// <summary>The decoder direction, when known (omitted otherwise).</summary>
    [JsonPropertyName("vector")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<double>? Vector { get; init; }
}

/// <summary>A batch of features of one SAE (SAEDashboard <c>NeuronpediaDashboardBatch</c>).</summary>
public sealed class NeuronpediaBatch
{
    /// <summary>Model id.</summary>
    [JsonPropertyName("model_id")] public string ModelId { get; init; } = "";
    /// <summary>Layer.</summary>
    [JsonPropertyName("layer")] public int Layer { get; init; }
    /// <summary>SAE set name.</summary>
    [JsonPropertyName("sae_set")] public string SaeSet { get; init; } = "";
    /// <summary>Features.</summary>
    [JsonPropertyName("features")] public IReadOnlyList<NeuronpediaFeature> Features { get; init; } = [];
}

/// <summary>Exports dashboard data as Neuronpedia-schema JSON (values rounded to 3 decimals, as SAEDashboard's converter).</summary>
public static class NeuronpediaExport
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    /// <summary>Builds the Neuronpedia feature record of a dashboard.</summary>
    /// <param name="data">Dashboard data.</param>
    /// <param name="alignmentRows">Rows of the neuron-alignment table (SAE-Vis <c>n_rows=3</c>).</param>
    /// <param name="includeVector">Whether to write the decoder vector.</param>
    public static NeuronpediaFeature FromDashboard(FeatureDashboardData data, int alignmentRows = 3, bool includeVector = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (alignmentRows < 0) throw new ArgumentException($"alignmentRows must be ≥ 0; got {alignmentRows}.", nameof(alignmentRows));
        int[] alignIdx = [];
        double[] alignVal = [], alignL1 = [];
        if (data.DecoderVector is { Count: > 0 } vector)
        {
            for (var i = 0; i < vector.Count; i++)
                if (!float.IsFinite(vector[i])) throw new ArgumentException($"Decoder vector entry {i} is {vector[i]}; it must be finite.", nameof(data));
            var l1 = vector.Sum(v => Math.Abs((double)v));
            alignIdx = Enumerable.Range(0, vector.Count).OrderByDescending(i => Math.Abs(vector[i])).ThenBy(i => i).Take(alignmentRows).ToArray();
            alignVal = alignIdx.Select(i => R(vector[i])).ToArray();
            alignL1 = alignIdx.Select(i => l1 == 0 ? 0 : R(Math.Abs(vector[i]) / l1)).ToArray();
        }
        var activations = new List<NeuronpediaActivation>();
        var top = data.TopContexts ?? [];
        if (top.Count > 0)
        {
            var maxValue = top.Max(c => c.MaxActivation);
            activations.AddRange(ActivatingContext.Top(top, top.Count).Select(c => Record(c, -1, R(maxValue), -1)));
        }
        foreach (var g in data.QuantileGroups ?? [])
            activations.AddRange(g.Contexts.Select(c => Record(c, R(g.BinMin), R(g.BinMax), R(g.BinContains))));
        var density = data.Density;
        var logits = data.Logits;
        return new NeuronpediaFeature
        {
            FeatureIndex = data.FeatureIndex,
            NeuronAlignmentIndices = alignIdx,
            NeuronAlignmentValues = alignVal,
            NeuronAlignmentL1 = alignL1,
            NegStr = logits?.Bottom.Select(t => t.Token).ToArray() ?? [],
            NegValues = logits?.Bottom.Select(t => R(t.Value)).ToArray() ?? [],
            PosStr = logits?.Top.Select(t => t.Token).ToArray() ?? [],
            PosValues = logits?.Top.Select(t => R(t.Value)).ToArray() ?? [],
            FracNonzero = density is null ? 0 : density.FractionNonZero,
            FreqHistDataBarValues = density?.NonZero?.Centers.Select(R).ToArray() ?? [],
            FreqHistDataBarHeights = density?.NonZero?.Counts.Select(c => (double)c).ToArray() ?? [],
            LogitsHistDataBarValues = logits?.Distribution.Centers.Select(R).ToArray() ?? [],
            LogitsHistDataBarHeights = logits?.Distribution.Counts.Select(c => (double)c).ToArray() ?? [],
            NPromptsTotal = data.PromptsTotal,
            NTokensInPrompt = data.TokensPerPrompt,
            Dataset = data.Dataset ?? "",
            Activations = activations,
            Vector = includeVector ? data.DecoderVector?.Select(v => (double)v).ToArray() : null,
        };
    }

    /// <summary>Serialises one feature.</summary>
    public static string ToJson(NeuronpediaFeature feature, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(feature);
        return JsonSerializer.Serialize(feature, indented ? Indented : Compact);
    }

    /// <summary>Serialises a batch.</summary>
    public static string ToJson(NeuronpediaBatch batch, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return JsonSerializer.Serialize(batch, indented ? Indented : Compact);
    }

    /// <summary>Writes one feature's JSON to <paramref name="path"/> (UTF-8).</summary>
    public static void Write(NeuronpediaFeature feature, string path, bool indented = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToJson(feature, indented), new UTF8Encoding(false));
    }

    /// <summary>Writes a batch's JSON to <paramref name="path"/> (UTF-8).</summary>
    public static void Write(NeuronpediaBatch batch, string path, bool indented = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToJson(batch, indented), new UTF8Encoding(false));
    }

    private static NeuronpediaActivation Record(ActivatingContext c, double binMin, double binMax, double binContains) => new()
    {
        BinMin = binMin,
        BinMax = binMax,
        BinContains = binContains,
        Tokens = c.Tokens,
        Values = c.Activations.Select(R).ToArray(),
        QualifyingTokenIndex = c.MaxIndex,
    };

    private static double R(double v) => Math.Round(v, 3, MidpointRounding.ToEven);
}
