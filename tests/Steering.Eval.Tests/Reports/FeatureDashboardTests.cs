using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using DiffusionSteering.Steering.Eval.Reports;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Steering.Eval.Tests.Reports;

public sealed class FeatureDashboardTests
{
    private static readonly string[] Vocab = ["the", "good", "bad", "<mask>", "great"];

    /// <summary>W_U [5, 2] and W_dec[f] = (1, −1): effects (1·1 − 0·1, …) worked by hand below.</summary>
    private static LogitEffects HandLogits()
    {
        using var unembedding = tensor(new float[] { 1, 0, 0, 1, 2, 1, 0.5f, 0.5f, -1, 2 }, [5, 2]);
        using var direction = tensor(new float[] { 1, -1 });
        return LogitEffects.Compute(unembedding, direction, id => Vocab[id], count: 2, bins: 3);
    }

    internal static FeatureDashboardData Sample() => new()
    {
        FeatureIndex = 42,
        ModelId = "llada-tiny",
        SaeId = "llada-tiny-res-L1",
        Layer = 1,
        HookName = "blocks.1.hook_resid_post",
        Dataset = "fixture",
        Explanation = "positive sentiment <b>not html</b>",
        PromptsTotal = 3,
        TokensPerPrompt = 22,
        TopContexts =
        [
            new ActivatingContext(["I", " felt", " good", "\n", "<script>alert(1)</script>"], [0, 0.5, 2.0, 1.0, 0], "prompt 1 · step 3"),
            new ActivatingContext(["so", " great"], [0.2, 4.0]),
        ],
        Density = ActivationDensity.Compute([0, 0, 1, 2, 3, 0, 4, 0]),
        Logits = HandLogits(),
        StepProfile = new FeatureStepProfile([0.1, 0.3, 0.5, double.NaN], [double.NaN, 0.2, 0.4, 0.6]),
        DecoderVector = [0.5f, -2f, 1f, 0.25f],
    };

    [Fact]
    public void LogitEffectsAreWUTimesTheDecoderDirection()
    {
        // rows of W_U: (1,0)→1, (0,1)→−1, (2,1)→1, (0.5,0.5)→0, (−1,2)→−3
        var effects = HandLogits();
        Assert.Equal(["the", "bad"], effects.Top.Select(t => t.Token));   // ties keep the lower id first
        Assert.Equal([1.0, 1.0], effects.Top.Select(t => t.Value));
        Assert.Equal(["great", "good"], effects.Bottom.Select(t => t.Token));
        Assert.Equal([-3.0, -1.0], effects.Bottom.Select(t => t.Value));
        Assert.Equal(5, effects.Distribution.Total);
        Assert.Equal([1L, 1, 3], effects.Distribution.Counts);   // bins [−3,−5/3): −3; [−5/3,−1/3): −1; [−1/3,1]: 0, 1, 1
    }

    [Fact]
    public void LogitEffectsRejectMismatchedShapes()
    {
        using var unembedding = zeros(5, 3);
        using var direction = zeros(2);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() => LogitEffects.Compute(unembedding, direction, id => "")).Message);
        using var flat = zeros(5);
        Assert.Contains("[V, d]", Assert.Throws<ArgumentException>(() => LogitEffects.Compute(flat, direction, id => "")).Message);
        using var nan = full([5, 2], float.NaN);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => LogitEffects.Compute(nan, direction, id => "")).Message);
    }

    [Fact]
    public void DashboardIsWellFormedAndSelfContained()
    {
        var html = FeatureDashboard.RenderHtml(Sample());
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(html), settings);
        var doc = XDocument.Load(reader);   // throws if not well-formed
        Assert.Equal("html", doc.Root!.Name.LocalName);
        Assert.StartsWith("<!DOCTYPE html>", html);
        // no network fetches: no src/href pointing anywhere, no scripts, no CSS imports or url()
        var refs = doc.Descendants().Attributes().Where(a => a.Name.LocalName is "src" or "href").ToList();
        Assert.Empty(refs);
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName is "script" or "link" or "iframe" or "img" or "object");
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);
        // inline SVG figures: density histogram, logit histogram, step profile
        Assert.Equal(3, doc.Descendants().Count(e => e.Name.LocalName == "svg"));
    }

    [Fact]
    public void ContextsShadeTokensByActivation()
    {
        var html = FeatureDashboard.RenderHtml(Sample());
        var doc = XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        var contexts = doc.Descendants().Where(e => (string?)e.Attribute("class") == "context").ToList();
        Assert.Equal(2, contexts.Count);
        Assert.Contains(" great", contexts[0].Value);   // ordered by max activation: 4.0 first
        var spans = contexts[1].Elements().Where(e => ((string?)e.Attribute("class") ?? "").StartsWith("tok")).ToList();
        Assert.Equal(5, spans.Count);
        Assert.Equal("tok max", (string)spans[2].Attribute("class")!);
        // shared scale = 4.0 (largest |activation| shown): 2.0 → alpha 0.5, 1.0 → 0.25
        Assert.Equal("background-color:rgba(255,120,0,0.5)", (string)spans[2].Attribute("style")!);
        Assert.Equal("background-color:rgba(255,120,0,0.25)", (string)spans[3].Attribute("style")!);
        Assert.Equal("↵", spans[3].Value);
        Assert.Equal("<script>alert(1)</script>", spans[4].Value);   // escaped text, not markup
        Assert.Equal("2.000", (string)spans[2].Attribute("title")!);
        Assert.Equal("prompt 1 · step 3", contexts[1].Elements().First().Value);
        Assert.Contains("&lt;b&gt;not html&lt;/b&gt;", html);
        Assert.Contains("50%", html);   // 4 of 8 tokens non-zero
    }

    [Fact]
    public void NeuronpediaExportFollowsTheSchema()
    {
        var feature = NeuronpediaExport.FromDashboard(Sample());
        using var json = JsonDocument.Parse(NeuronpediaExport.ToJson(feature));
        var root = json.RootElement;
        string[] keys =
        [
            "feature_index", "neuron_alignment_indices", "neuron_alignment_values", "neuron_alignment_l1", "correlated_neurons_indices",
            "correlated_neurons_l1", "correlated_neurons_pearson", "correlated_features_indices", "correlated_features_l1",
            "correlated_features_pearson", "neg_str", "neg_values", "pos_str", "pos_values", "frac_nonzero", "freq_hist_data_bar_values",
            "freq_hist_data_bar_heights", "logits_hist_data_bar_heights", "logits_hist_data_bar_values", "n_prompts_total",
            "n_tokens_in_prompt", "dataset", "decoder_weights_dist", "activations", "vector",
        ];
        Assert.Equal(keys.Order(), root.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(42, root.GetProperty("feature_index").GetInt64());
        Assert.Equal(0.5, root.GetProperty("frac_nonzero").GetDouble());
        Assert.Equal(["the", "bad"], root.GetProperty("pos_str").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([-3.0, -1.0], root.GetProperty("neg_values").EnumerateArray().Select(e => e.GetDouble()));
        // neuron alignment: |W_dec| order 1 (2), 2 (1), 0 (0.5); ‖·‖₁ = 3.75
        Assert.Equal([1, 2, 0], root.GetProperty("neuron_alignment_indices").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([-2.0, 1.0, 0.5], root.GetProperty("neuron_alignment_values").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([0.533, 0.267, 0.133], root.GetProperty("neuron_alignment_l1").EnumerateArray().Select(e => e.GetDouble()));
        // activation histogram of the non-zero values 1..4 over [0, 4] in 50 bins: 4 values in total
        Assert.Equal(50, root.GetProperty("freq_hist_data_bar_values").GetArrayLength());
        Assert.Equal(4.0, root.GetProperty("freq_hist_data_bar_heights").EnumerateArray().Sum(e => e.GetDouble()));
        var acts = root.GetProperty("activations").EnumerateArray().ToList();
        Assert.Equal(2, acts.Count);
        Assert.Equal(-1, acts[0].GetProperty("bin_min").GetDouble());
        Assert.Equal(4.0, acts[0].GetProperty("bin_max").GetDouble());
        Assert.Equal(-1, acts[0].GetProperty("bin_contains").GetDouble());
        Assert.Equal(1, acts[0].GetProperty("qualifying_token_index").GetInt32());
        Assert.Equal(2, acts[1].GetProperty("qualifying_token_index").GetInt32());
        Assert.Equal("<script>alert(1)</script>", acts[1].GetProperty("tokens")[4].GetString());
        Assert.Equal(4, root.GetProperty("vector").GetArrayLength());

        var batch = new NeuronpediaBatch { ModelId = "llada-tiny", Layer = 1, SaeSet = "res", Features = [feature] };
        using var batchJson = JsonDocument.Parse(NeuronpediaExport.ToJson(batch));
        Assert.Equal(["model_id", "layer", "sae_set", "features"], batchJson.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.False(JsonDocument.Parse(NeuronpediaExport.ToJson(NeuronpediaExport.FromDashboard(Sample() with { DecoderVector = null }))).RootElement.TryGetProperty("vector", out _));
    }

    [Fact]
    public void BadDashboardInputIsRejected()
    {
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() => new ActivatingContext(["a", "b"], [1])).Message);
        Assert.Contains("at least one token", Assert.Throws<ArgumentException>(() => new ActivatingContext([], [])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => new ActivatingContext(["a"], [double.NaN])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => ActivationDensity.Compute([])).Message);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() =>
            FeatureDashboard.RenderHtml(Sample() with { StepProfile = new FeatureStepProfile([1, 2], [1]) })).Message);
        Assert.Contains("no finite", Assert.Throws<ArgumentException>(() =>
            FeatureDashboard.RenderHtml(Sample() with { StepProfile = new FeatureStepProfile([double.NaN], [double.NaN]) })).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() =>
            NeuronpediaExport.FromDashboard(Sample() with { DecoderVector = [float.NaN] })).Message);
        var w = ActivatingContext.Window(["a", "b", "c", "d", "e", "f", "g"], [0, 1, 2, 3, 2, 1, 0], center: 3, before: 1, after: 2);
        Assert.Equal(["c", "d", "e", "f"], w.Tokens);
        Assert.Throws<ArgumentException>(() => ActivatingContext.Window(["a"], [0], center: 1));
    }

    [Fact]
    public void MinimalDashboardRendersEverySectionPlaceholder()
    {
        var html = FeatureDashboard.RenderHtml(new FeatureDashboardData { FeatureIndex = 0 });
        XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        Assert.Contains("No contexts were given.", html);
        Assert.Contains("No unembedding was given.", html);
    }
}
