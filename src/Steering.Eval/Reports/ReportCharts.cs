using System.Globalization;
using DiffusionSteering.Steering.Eval.DecodingOrder;
using DiffusionSteering.Steering.Schedules.Commitment;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>The library's standard figures, built on <see cref="SvgCharts"/>.</summary>
public static class ReportCharts
{
    /// <summary>
    /// Emergence curves (paper b, Fig. 6): one line per profile (attribute × layer), the min-max normalised emergence
    /// against normalised progress t/T.
    /// </summary>
    public static string EmergenceCurves(IReadOnlyList<CommitmentProfile> profiles, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Count == 0) throw new ArgumentException("Give at least one commitment profile.", nameof(profiles));
        var multipleModels = profiles.Select(p => p?.Model).Distinct().Count() > 1;
        var series = profiles.Select((p, i) =>
        {
            if (p is null) throw new ArgumentException($"Profile {i} is null.", nameof(profiles));
            if (p.Emergence is null || p.Emergence.Count == 0) throw new ArgumentException($"Profile {i} ({p.Attribute}, layer {p.Layer}) has an empty emergence curve.", nameof(profiles));
            var steps = p.Emergence.Count;
            return new LineSeries(ProfileName(p, multipleModels), Enumerable.Range(0, steps).Select(t => (double)t / steps).ToArray(), p.Emergence.ToArray());
        }).ToArray();
        options ??= new PlotOptions();
        return SvgCharts.LinePlot(series, options with
        {
            Title = options.Title ?? "Emergence of attribute features over denoising",
            XLabel = options.XLabel ?? "normalised progress t/T",
            YLabel = options.YLabel ?? "emergence (min-max normalised)",
            YRange = options.YRange ?? (0, 1),
            XRange = options.XRange ?? (0, 1),
        });
    }

    /// <summary>
    /// K-block emergence fractions (paper b, Fig. 2b/7): categories B0…B(K−1), one bar group per profile, in percent.
    /// </summary>
    public static string BlockFractions(IReadOnlyList<CommitmentProfile> profiles, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Count == 0) throw new ArgumentException("Give at least one commitment profile.", nameof(profiles));
        var k = profiles[0]?.BlockFractions?.Count ?? 0;
        if (k == 0) throw new ArgumentException("Profile 0 has no block fractions.", nameof(profiles));
        var multipleModels = profiles.Select(p => p?.Model).Distinct().Count() > 1;
        var groups = profiles.Select((p, i) =>
        {
            if (p is null) throw new ArgumentException($"Profile {i} is null.", nameof(profiles));
            if (p.BlockFractions is null || p.BlockFractions.Count != k)
                throw new ArgumentException($"Length mismatch: profile {i} has {p.BlockFractions?.Count ?? 0} blocks, profile 0 has {k}.", nameof(profiles));
            return new BarGroup(ProfileName(p, multipleModels), p.BlockFractions.Select(f => f * 100).ToArray());
        }).ToArray();
        options ??= new PlotOptions();
        return SvgCharts.GroupedBarChart(Enumerable.Range(0, k).Select(b => "B" + b.ToString(CultureInfo.InvariantCulture)).ToArray(), groups, options with
        {
            Title = options.Title ?? $"Share of emergence per temporal block (K = {k})",
            XLabel = options.XLabel ?? "temporal block",
            YLabel = options.YLabel ?? "% of emergence",
            YRange = options.YRange ?? (0, 100),
        });
    }

    /// <summary>Steering strength against quality for several schedules (e.g. uniform vs adaptive), with CI error bars.</summary>
    public static string StrengthQualityTradeoff(IReadOnlyList<TradeoffSeries> series, string qualityLabel = "quality", string strengthLabel = "steering strength", PlotOptions? options = null)
    {
        options ??= new PlotOptions();
        return SvgCharts.TradeoffPlot(series, options with
        {
            Title = options.Title ?? "Steering strength vs quality",
            XLabel = options.XLabel ?? qualityLabel,
            YLabel = options.YLabel ?? strengthLabel,
        });
    }

    /// <summary>
    /// A layer × progress (or × step) heatmap of one decoding-order metric (DLM-Scope shows lock and flip this way);
    /// empty bins are drawn as "no data".
    /// </summary>
    /// <param name="result">Observer result.</param>
    /// <param name="metric">Picks the series, e.g. <c>r =&gt; r.LockRate</c>.</param>
    /// <param name="metricName">Colour-bar label.</param>
    /// <param name="byProgress">Columns are progress bins (true) or raw steps (false).</param>
    /// <param name="options">Heatmap options (AllowMissing is forced on).</param>
    public static string DecodingOrderHeatmap(DecodingOrderResult result, Func<DecodingOrderLayerResult, DecodingOrderSeries> metric, string metricName, bool byProgress = true, HeatmapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(metric);
        var values = byProgress ? result.LayerByProgress(metric) : result.LayerByStep(metric);
        var columns = values.GetLength(1);
        var labels = byProgress
            ? Enumerable.Range(0, columns).Select(b => ((b + 0.5) / columns).ToString("0.00", CultureInfo.InvariantCulture)).ToArray()
            : Enumerable.Range(0, columns).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray();
        options ??= new HeatmapOptions();
        return SvgCharts.Heatmap(new HeatmapData(values, result.Layers.Select(l => "L" + l.Layer.ToString(CultureInfo.InvariantCulture)).ToArray(), labels), options with
        {
            AllowMissing = true,
            Title = options.Title ?? $"{metricName} by layer and {(byProgress ? "progress k/T" : "step k")}",
            XLabel = options.XLabel ?? (byProgress ? "normalised progress k/T" : "step k"),
            YLabel = options.YLabel ?? "layer",
            ColorBarLabel = options.ColorBarLabel ?? metricName,
        });
    }

    /// <summary>One line per layer of a decoding-order metric against normalised progress (non-empty bins only).</summary>
    public static string DecodingOrderCurves(DecodingOrderResult result, Func<DecodingOrderLayerResult, DecodingOrderSeries> metric, string metricName, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(metric);
        if (result.Layers.Count == 0) throw new ArgumentException("The result has no layer.", nameof(result));
        var series = new List<LineSeries>();
        foreach (var layer in result.Layers)
        {
            var (x, y) = metric(layer).ProgressCurve();
            if (x.Length > 0) series.Add(new LineSeries("L" + layer.Layer.ToString(CultureInfo.InvariantCulture), x, y) { Markers = x.Length <= 64 });
        }
        if (series.Count == 0) throw new ArgumentException($"No layer has any {metricName} contribution.", nameof(result));
        options ??= new PlotOptions();
        return SvgCharts.LinePlot(series, options with
        {
            Title = options.Title ?? $"{metricName} over denoising",
            XLabel = options.XLabel ?? "normalised progress k/T",
            YLabel = options.YLabel ?? metricName,
            XRange = options.XRange ?? (0, 1),
        });
    }

    /// <summary>A table of every layer's decoding-order metrics (estimate and sequence-bootstrap CI).</summary>
    public static ReportTable DecodingOrderTable(DecodingOrderResult result, Statistics.BootstrapOptions? bootstrap = null, int decimals = 3)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Layers.Count == 0) throw new ArgumentException("The result has no layer.", nameof(result));
        var level = (bootstrap ?? Statistics.BootstrapOptions.Default).ConfidenceLevel;
        var table = new ReportTable(["Layer", "Metric", "Value", ReportTable.LevelHeader(level), "n"],
            [ColumnAlignment.Left, ColumnAlignment.Left, ColumnAlignment.Right, ColumnAlignment.Right, ColumnAlignment.Right]);
        foreach (var layer in result.Layers)
            foreach (var s in layer.AllSeries)
            {
                var ci = s.Interval(bootstrap);
                table.AddRow("L" + layer.Layer.ToString(CultureInfo.InvariantCulture), s.Name, Markup.Value(s.Mean, decimals),
                    ci is null ? "–" : ReportTable.FormatInterval(ci, decimals), s.Count.ToString(CultureInfo.InvariantCulture));
            }
        return table;
    }

    private static string ProfileName(CommitmentProfile p, bool withModel) =>
        (withModel ? p.Model + " · " : "") + p.Attribute + " · L" + p.Layer.ToString(CultureInfo.InvariantCulture);
}
