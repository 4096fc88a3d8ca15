using System.Globalization;
using System.Text;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>
/// A static, self-contained HTML dashboard of one SAE feature (after SAE-Vis / Neuronpedia, with the DLM axis): header,
/// activation density histogram, top boosted and suppressed output tokens with the logit histogram, activation by
/// denoising step on masked and unmasked positions, and top-activating contexts with every token's background shaded by
/// its activation. Inline CSS and SVG only: no scripts, no fonts, no network fetches.
/// </summary>
public static class FeatureDashboard
{
    /// <summary>Renders the dashboard page.</summary>
    /// <param name="data">What to show (only <see cref="FeatureDashboardData.FeatureIndex"/> is required).</param>
    /// <param name="maxContexts">Top contexts shown (default 20, SAE-Vis' <c>top_acts_group_size</c>).</param>
    public static string RenderHtml(FeatureDashboardData data, int maxContexts = 20)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (maxContexts < 1) throw new ArgumentException($"maxContexts must be at least 1; got {maxContexts}.", nameof(maxContexts));
        data.StepProfile?.Validate();
        var title = $"Feature {data.FeatureIndex}" + (data.SaeId is null ? "" : $" · {data.SaeId}");
        var body = new StringBuilder();
        body.Append("<header>\n<h1>").Append(Markup.Escape(title)).Append("</h1>\n");
        var meta = new List<string>();
        if (data.ModelId is not null) meta.Add("model " + data.ModelId);
        if (data.Layer is int layer) meta.Add("layer " + layer.ToString(CultureInfo.InvariantCulture));
        if (data.HookName is not null) meta.Add("hook " + data.HookName);
        if (data.Dataset is not null) meta.Add("dataset " + data.Dataset);
        if (data.PromptsTotal > 0) meta.Add($"{data.PromptsTotal} prompts × {data.TokensPerPrompt} tokens");
        if (meta.Count > 0) body.Append("<p class=\"meta\">").Append(Markup.Escape(string.Join(" · ", meta))).Append("</p>\n");
        if (!string.IsNullOrWhiteSpace(data.Explanation)) body.Append("<p class=\"explanation\"><b>Explanation:</b> ").Append(Markup.Escape(data.Explanation)).Append("</p>\n");
        body.Append("</header>\n");

        body.Append("<div class=\"columns\">\n");
        body.Append("<div>\n<h2>Activation density</h2>\n");
        if (data.Density is null) body.Append("<p class=\"meta\">No activation statistics were given.</p>\n");
        else
        {
            body.Append("<p>Fraction of tokens where the feature is non-zero: <b>")
                .Append(Markup.Escape((data.Density.FractionNonZero * 100).ToString("0.###", CultureInfo.InvariantCulture))).Append("%</b> of ")
                .Append(data.Density.Tokens.ToString(CultureInfo.InvariantCulture)).Append(" tokens.</p>\n");
            if (data.Density.NonZero is not null)
                body.Append(Figure(SvgCharts.HistogramChart(data.Density.NonZero, new PlotOptions { Width = 460, Height = 240, XLabel = "activation (non-zero)", YLabel = "count", Legend = false }), "Histogram of non-zero activations."));
        }
        body.Append("</div>\n");

        body.Append("<div>\n<h2>Output logits (W<sub>U</sub>·W<sub>dec</sub>[f])</h2>\n");
        if (data.Logits is null) body.Append("<p class=\"meta\">No unembedding was given.</p>\n");
        else
        {
            body.Append("<div class=\"columns\">\n<div>").Append(LogitTable("Most suppressed", data.Logits.Bottom, "neg")).Append("</div>\n<div>")
                .Append(LogitTable("Most boosted", data.Logits.Top, "pos")).Append("</div>\n</div>\n");
            body.Append(Figure(SvgCharts.HistogramChart(data.Logits.Distribution, new PlotOptions { Width = 460, Height = 220, XLabel = "logit effect", YLabel = "tokens", Legend = false }), "Distribution of the logit effect over the vocabulary."));
        }
        body.Append("</div>\n</div>\n");

        body.Append("<h2>Activation by denoising step and mask state</h2>\n");
        if (data.StepProfile is null) body.Append("<p class=\"meta\">No denoising-step profile was given.</p>\n");
        else body.Append(StepProfileFigures(data.StepProfile));

        var contexts = ActivatingContext.Top(data.TopContexts ?? [], maxContexts);
        body.Append("<h2>Top-activating contexts</h2>\n");
        if (contexts.Count == 0) body.Append("<p class=\"meta\">No contexts were given.</p>\n");
        else
        {
            var scale = contexts.Max(c => c.Activations.Max(Math.Abs));
            body.Append("<div class=\"contexts\">\n");
            foreach (var c in contexts) body.Append(ContextHtml(c, scale));
            body.Append("</div>\n");
        }
        foreach (var group in data.QuantileGroups ?? [])
        {
            body.Append("<h3>").Append(Markup.Escape(group.Title)).Append("</h3>\n<p class=\"meta\">")
                .Append(Markup.Escape($"activations in [{Markup.Value(group.BinMin, 3)}, {Markup.Value(group.BinMax, 3)}], {Markup.Value(group.BinContains * 100, 2)}% of non-zero activations"))
                .Append("</p>\n<div class=\"contexts\">\n");
            var scale = group.Contexts.Count == 0 ? 1 : group.Contexts.Max(c => c.Activations.Max(Math.Abs));
            foreach (var c in group.Contexts) body.Append(ContextHtml(c, scale));
            body.Append("</div>\n");
        }
        return HtmlPage.Document(title, body.ToString());
    }

    /// <summary>Renders and writes the dashboard to <paramref name="path"/> (UTF-8).</summary>
    public static void Write(FeatureDashboardData data, string path, int maxContexts = 20)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, RenderHtml(data, maxContexts), new UTF8Encoding(false));
    }

    /// <summary>One context as a line of shaded token spans (orange for positive, blue for negative, alpha ∝ |a| / scale).</summary>
    internal static string ContextHtml(ActivatingContext context, double scale)
    {
        var sb = new StringBuilder("<div class=\"context\">");
        if (!string.IsNullOrEmpty(context.Source)) sb.Append("<span class=\"source\">").Append(Markup.Escape(context.Source)).Append("</span>");
        var max = context.MaxIndex;
        for (var i = 0; i < context.Tokens.Count; i++)
        {
            var a = context.Activations[i];
            var alpha = scale > 0 ? Math.Clamp(Math.Abs(a) / scale, 0, 1) : 0;
            var rgb = a >= 0 ? "255,120,0" : "40,110,255";
            var cls = i == max && a > 0 ? "tok max" : "tok";
            sb.Append($"<span class=\"{cls}\" style=\"background-color:rgba({rgb},{alpha.ToString("0.###", CultureInfo.InvariantCulture)})\" title=\"{Markup.Escape(Markup.Value(a, 3))}\">")
                .Append(Markup.Escape(Visible(context.Tokens[i]))).Append("</span>");
        }
        sb.Append("</div>\n");
        return sb.ToString();
    }

    private static string Visible(string token) => token.Replace("\r\n", "↵").Replace('\n', '↵').Replace('\r', '↵').Replace('\t', '→');

    private static string LogitTable(string heading, IReadOnlyList<TokenLogit> tokens, string cls)
    {
        var sb = new StringBuilder($"<table class=\"report-table logits\"><caption>{Markup.Escape(heading)}</caption>\n<thead><tr><th>token</th><th style=\"text-align:right\">effect</th></tr></thead>\n<tbody>\n");
        foreach (var t in tokens)
            sb.Append("<tr><td class=\"token\" title=\"id ").Append(t.TokenId.ToString(CultureInfo.InvariantCulture)).Append("\">").Append(Markup.Escape(Visible(t.Token)))
                .Append($"</td><td class=\"{cls}\" style=\"text-align:right\">").Append(Markup.Value(t.Value, 3)).Append("</td></tr>\n");
        sb.Append("</tbody></table>\n");
        return sb.ToString();
    }

    private static string StepProfileFigures(FeatureStepProfile profile)
    {
        var series = new List<LineSeries>();
        void Add(string name, IReadOnlyList<double>? values, bool dashed)
        {
            if (values is null) return;
            var steps = Enumerable.Range(0, values.Count).Where(k => double.IsFinite(values[k])).ToArray();
            if (steps.Length == 0) return;
            series.Add(new LineSeries(name, steps.Select(k => (double)k).ToArray(), steps.Select(k => values[k]).ToArray()) { Dashed = dashed, Markers = steps.Length <= 64 });
        }
        Add("masked positions", profile.MaskedMean, false);
        Add("unmasked positions", profile.UnmaskedMean, true);
        var sb = new StringBuilder();
        sb.Append(Figure(SvgCharts.LinePlot(series, new PlotOptions { Width = 760, Height = 300, XLabel = "denoising step k", YLabel = "mean activation" }),
            "Mean activation per step on positions masked / unmasked in the step's input (steps without such positions are omitted)."));
        if (profile.MaskedActiveFraction is not null || profile.UnmaskedActiveFraction is not null)
        {
            series.Clear();
            Add("masked positions", profile.MaskedActiveFraction, false);
            Add("unmasked positions", profile.UnmaskedActiveFraction, true);
            if (series.Count > 0)
                sb.Append(Figure(SvgCharts.LinePlot(series, new PlotOptions { Width = 760, Height = 260, XLabel = "denoising step k", YLabel = "fraction active", YRange = (0, 1) }),
                    "Fraction of positions where the feature is non-zero."));
        }
        return sb.ToString();
    }

    internal static string Figure(string svg, string? caption)
    {
        var sb = new StringBuilder("<figure>\n").Append(HtmlPage.CheckSvg(svg, nameof(svg))).Append('\n');
        if (!string.IsNullOrEmpty(caption)) sb.Append("<figcaption>").Append(Markup.Escape(caption)).Append("</figcaption>\n");
        sb.Append("</figure>\n");
        return sb.ToString();
    }
}
