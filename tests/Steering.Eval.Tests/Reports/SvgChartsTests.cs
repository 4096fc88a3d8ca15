using System.Diagnostics;
using DiffusionSteering.Steering.Eval.Reports;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Steering.Schedules.Commitment;

namespace DiffusionSteering.Steering.Eval.Tests.Reports;

public sealed class SvgChartsTests
{
    private static LineSeries Line(string name, params double[] y) => new(name, Enumerable.Range(0, y.Length).Select(i => (double)i).ToArray(), y);

    [Fact]
    public void LinePlotHasOnePathPerSeriesAxesLabelsAndEscapedText()
    {
        const string tricky = "a<b & \"c\" 'd'";
        var svg = SvgCharts.LinePlot(
            [Line("layer 1", 0, 0.5, 1), Line(tricky, 1, 0.2, 0.1) with { Dashed = true }, Line("markers", 0.3, 0.4) with { Markers = true }],
            new PlotOptions { Width = 600, Height = 360, Title = "Emergence <test>", XLabel = "progress t/T", YLabel = "emergence" });
        var root = Xml.ParseSvg(svg, 600, 360);
        Assert.Equal(3, Xml.ByClass(root, "path", "series").Count);
        Assert.Equal(2, Xml.ByClass(root, "circle", "marker").Count);                 // only the Markers series
        Assert.Equal(3, Xml.ByClass(root, "line", "legend-swatch").Count);
        Assert.Equal(["layer 1", tricky, "markers"], Xml.Texts(root, "legend-label"));  // round-trips through escaping
        Assert.Equal(["progress t/T", "emergence"], Xml.Texts(root, "axis-label"));
        Assert.Equal(["Emergence <test>"], Xml.Texts(root, "title"));
        Assert.Equal(2, Xml.ByClass(root, "line", "axis").Count);
        Assert.True(Xml.Texts(root, "tick-label").Count >= 4);
        Assert.Contains("&lt;b &amp;", svg);
        Assert.NotNull(Xml.ByClass(root, "path", "series")[1].Attribute("stroke-dasharray"));
        // every marker lies inside the canvas
        Assert.All(Xml.ByClass(root, "circle", "marker"), c =>
        {
            Assert.InRange(Xml.Num(c, "cx"), 0, 600);
            Assert.InRange(Xml.Num(c, "cy"), 0, 360);
        });
    }

    [Fact]
    public void LinePathPassesThroughTheMappedPoints()
    {
        // y from 0 to 1 with range hint (0, 1): the axis is exactly [0, 1], so y = 0 maps to the bottom and y = 1 to the top.
        var svg = SvgCharts.LinePlot([Line("", 0, 1)], new PlotOptions { Width = 400, Height = 300, YRange = (0, 1), Legend = false });
        var root = Xml.ParseSvg(svg, 400, 300);
        var d = (string)Xml.ByClass(root, "path", "series").Single().Attribute("d")!;
        // plot area: left 68, right 400 − 16 = 384, top 16, bottom 300 − 52 = 248; x axis [0, 1]
        Assert.Equal("M68 248 L384 16", d);
        Assert.Empty(Xml.ByClass(root, "text", "legend-label"));
    }

    [Fact]
    public void GroupedBarChartHasOneRectPerCategoryAndGroup()
    {
        var categories = Enumerable.Range(0, 8).Select(b => $"B{b}").ToArray();
        var groups = new[]
        {
            new BarGroup("L5", [10, 20, 30, 10, 10, 10, 5, 5]),
            new BarGroup("L14", [5, 5, 10, 20, 30, 20, 5, 5]) { Lower = [4, 4, 8, 18, 25, 18, 4, 4], Upper = [6, 6, 12, 22, 35, 22, 6, 6] },
            new BarGroup("L23", [0, 0, 0, 10, 20, 30, 20, 20]),
        };
        var svg = SvgCharts.GroupedBarChart(categories, groups, new PlotOptions { Title = "K-block fractions", YLabel = "% of emergence" });
        var root = Xml.ParseSvg(svg, 640, 400);
        Assert.Equal(24, Xml.ByClass(root, "rect", "bar").Count);
        Assert.Equal(8, Xml.ByClass(root, "path", "errorbar").Count);
        Assert.Equal(categories, Xml.Texts(root, "category-label"));
        Assert.Equal(3, Xml.ByClass(root, "rect", "legend-swatch").Count);
        // taller value → taller bar
        var bars = Xml.ByClass(root, "rect", "bar");
        Assert.True(Xml.Num(bars[2], "height") > Xml.Num(bars[0], "height"));
        Assert.Equal(0, Xml.Num(bars[16], "height"));
    }

    [Fact]
    public void TradeoffPlotDrawsPointsAndErrorBars()
    {
        TradeoffPoint P(double x, double y, string label) => TradeoffPoint.FromIntervals(
            new ConfidenceInterval(x, x - 0.1, x + 0.1, 0.95), new ConfidenceInterval(y, y - 0.05, y + 0.05, 0.95), label);
        var svg = SvgCharts.TradeoffPlot(
            [
                new TradeoffSeries("uniform", [P(3.1, 0.2, "α=1"), P(3.4, 0.4, "α=2"), P(3.9, 0.6, "α=4"), P(4.6, 0.7, "α=8")]),
                new TradeoffSeries("adaptive", [P(3.0, 0.3, "α=1"), P(3.2, 0.55, "α=2"), new TradeoffPoint(3.5, 0.75)]) { Dashed = true },
            ],
            new PlotOptions { XLabel = "NLL", YLabel = "strength" });
        var root = Xml.ParseSvg(svg, 640, 400);
        Assert.Equal(2, Xml.ByClass(root, "path", "series").Count);
        Assert.Equal(7, Xml.ByClass(root, "circle", "point").Count);
        Assert.Equal(6, Xml.ByClass(root, "path", "errorbar").Count);   // the last point has no interval
        Assert.Equal(6, Xml.Texts(root, "point-label").Count);
        Assert.Equal(["uniform", "adaptive"], Xml.Texts(root, "legend-label"));
    }

    [Fact]
    public void HeatmapHasACellPerValueAndAColourBar()
    {
        var values = new double[3, 5];
        for (var r = 0; r < 3; r++) for (var c = 0; c < 5; c++) values[r, c] = r * 5 + c;
        var svg = SvgCharts.Heatmap(new HeatmapData(values, ["L5", "L14", "L23"], ["0", "1", "2", "3", "4"]),
            new HeatmapOptions { Width = 500, Height = 260, Title = "lock", XLabel = "step", YLabel = "layer", ColorBarLabel = "lock rate" });
        var root = Xml.ParseSvg(svg, 500, 260);
        var cells = Xml.ByClass(root, "rect", "cell");
        Assert.Equal(15, cells.Count);
        Assert.Equal(32, Xml.ByClass(root, "rect", "colorbar-step").Count);
        Assert.Equal(["L5", "L14", "L23"], Xml.Texts(root, "row-label"));
        Assert.Equal(5, Xml.Texts(root, "column-label").Count);
        Assert.Equal(["lock rate"], Xml.Texts(root, "colorbar-title"));
        Assert.Equal(Palette.Viridis(0), (string)cells[0].Attribute("fill")!);
        Assert.Equal(Palette.Viridis(1), (string)cells[^1].Attribute("fill")!);
        Assert.Equal("L5 · 0: 0.000", cells[0].Value);   // tooltip
        Assert.True(Xml.Texts(root, "colorbar-label").Count >= 2);
    }

    [Fact]
    public void HeatmapMissingCellsNeedOptingIn()
    {
        var values = new double[,] { { 0.1, double.NaN }, { 0.5, 0.9 } };
        var data = new HeatmapData(values, ["a", "b"], ["x", "y"]);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => SvgCharts.Heatmap(data)).Message);
        var root = Xml.ParseSvg(SvgCharts.Heatmap(data, new HeatmapOptions { AllowMissing = true }), 640, 400);
        Assert.Equal(3, Xml.ByClass(root, "rect", "cell").Count);
        Assert.Single(Xml.ByClass(root, "rect", "cell-missing"));
        Assert.Single(Xml.ByClass(root, "rect", "missing-swatch"));
        var allMissing = new HeatmapData(new[,] { { double.NaN } }, ["a"], ["x"]);
        Assert.Contains("missing", Assert.Throws<ArgumentException>(() => SvgCharts.Heatmap(allMissing, new HeatmapOptions { AllowMissing = true })).Message);
    }

    [Fact]
    public void HeatmapThinsColumnLabels()
    {
        var values = new double[2, 60];
        var root = Xml.ParseSvg(SvgCharts.Heatmap(new HeatmapData(values, ["a", "b"], Enumerable.Range(0, 60).Select(i => i.ToString()).ToArray())), 640, 400);
        Assert.Equal(120, Xml.ByClass(root, "rect", "cell").Count);
        Assert.Equal(12, Xml.Texts(root, "column-label").Count);
        Assert.Single(Xml.Texts(root, "colorbar-label"));   // constant data: one label at the centre
    }

    [Fact]
    public void HistogramChartHasOneBarPerBin()
    {
        var h = Histogram.Compute([0.1, 0.3, 0.3, 0.9, 1.0], bins: 4, min: 0, max: 1);
        Assert.Equal([1L, 2, 0, 2], h.Counts);
        Assert.Equal([0.125, 0.375, 0.625, 0.875], h.Centers);
        var root = Xml.ParseSvg(SvgCharts.HistogramChart(h, new PlotOptions { Width = 300, Height = 200 }), 300, 200);
        Assert.Equal(4, Xml.ByClass(root, "rect", "bar").Count);
    }

    [Fact]
    public void ReportChartsDrawEmergenceCurvesAndBlockFractions()
    {
        var profiles = new[] { 5, 14, 23 }.Select(layer => CommitmentProfile.FromCurve("llada", "sentiment", layer, [1, 2],
            Enumerable.Range(0, 64).Select(t => Math.Tanh((t - layer) / 10.0)).ToArray(), smoothingWindow: 5)).ToArray();
        var curves = Xml.ParseSvg(ReportCharts.EmergenceCurves(profiles), 640, 400);
        Assert.Equal(3, Xml.ByClass(curves, "path", "series").Count);
        Assert.Equal(["sentiment · L5", "sentiment · L14", "sentiment · L23"], Xml.Texts(curves, "legend-label"));
        var bars = Xml.ParseSvg(ReportCharts.BlockFractions(profiles), 640, 400);
        Assert.Equal(24, Xml.ByClass(bars, "rect", "bar").Count);
        Assert.Equal(8, Xml.Texts(bars, "category-label").Count);
        Assert.Contains("% of emergence", Xml.Texts(bars, "axis-label"));
    }

    [Fact]
    public void BadChartInputIsRejectedWithClearMessages()
    {
        Assert.Contains("at least one series", Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([new LineSeries("e", [], [])])).Message);
        Assert.Contains("length mismatch", Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([new LineSeries("m", [0, 1], [0])])).Message);
        var nan = Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([Line("n", 0, double.NaN)]));
        Assert.Contains("index 1", nan.Message);
        Assert.Contains("NaN", nan.Message);
        Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([Line("i", double.PositiveInfinity)]));
        Assert.Contains("#rrggbb", Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([Line("c", 1) with { Color = "red\" onload=\"x" }])).Message);
        Assert.Contains("length mismatch", Assert.Throws<ArgumentException>(() => SvgCharts.GroupedBarChart(["a", "b"], [new BarGroup("g", [1])])).Message);
        Assert.Throws<ArgumentException>(() => SvgCharts.GroupedBarChart([], [new BarGroup("g", [])]));
        Assert.Throws<ArgumentException>(() => SvgCharts.GroupedBarChart(["a"], [new BarGroup("g", [1]) { Lower = [2], Upper = [0] }]));
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => SvgCharts.TradeoffPlot([new TradeoffSeries("t", [])])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => SvgCharts.TradeoffPlot([new TradeoffSeries("t", [new TradeoffPoint(1, 1) { YUpper = double.NaN }])])).Message);
        Assert.Contains("row labels", Assert.Throws<ArgumentException>(() => SvgCharts.Heatmap(new HeatmapData(new double[2, 2], ["a"], ["x", "y"]))).Message);
        Assert.Contains("at least one row", Assert.Throws<ArgumentException>(() => SvgCharts.Heatmap(new HeatmapData(new double[0, 2], [], ["x", "y"]))).Message);
        Assert.Contains("too small", Assert.Throws<ArgumentException>(() => SvgCharts.LinePlot([Line("x", 1)], new PlotOptions { Width = 60, Height = 60 })).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Histogram.Compute([])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Histogram.Compute([1, double.NaN])).Message);
        Assert.Contains("length mismatch", Assert.Throws<ArgumentException>(() => ReportCharts.BlockFractions([
            CommitmentProfile.FromCurve("m", "a", 0, [1], [0, 1, 2, 3, 4, 5, 6, 7], blocks: 8),
            CommitmentProfile.FromCurve("m", "a", 1, [1], [0, 1, 2, 3], blocks: 4)])).Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Renders SVGs to PNG with headless Chromium, or with rsvg-convert, when either is installed (skipped otherwise: the
    /// XML checks above do not need a renderer).
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public void SvgRendersToPngWhenARendererIsAvailable()
    {
        string? Find(params string[] names) => names
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
        var chromium = Find("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");
        var rsvg = chromium is null ? Find("rsvg-convert") : null;
        if (chromium is null && rsvg is null) return;   // optional: no renderer on this machine
        var dir = Directory.CreateTempSubdirectory("svgrender").FullName;
        try
        {
            var heat = new double[,] { { 0, 0.5 }, { double.NaN, 1 } };
            var charts = new Dictionary<string, string>
            {
                ["line"] = SvgCharts.LinePlot([Line("a", 0, 1, 0.5)], new PlotOptions { Title = "render" }),
                ["bars"] = SvgCharts.GroupedBarChart(["B0", "B1"], [new BarGroup("g", [1, 2])]),
                ["tradeoff"] = SvgCharts.TradeoffPlot([new TradeoffSeries("t", [new TradeoffPoint(1, 2) { YLower = 1.5, YUpper = 2.5 }])]),
                ["heat"] = SvgCharts.Heatmap(new HeatmapData(heat, ["a", "b"], ["x", "y"]), new HeatmapOptions { AllowMissing = true }),
            };
            foreach (var (name, svg) in chromium is null ? charts : charts.Take(1))
            {
                var svgPath = Path.Combine(dir, name + ".svg");
                var png = Path.Combine(dir, name + ".png");
                File.WriteAllText(svgPath, svg);
                var start = chromium is not null
                    ? new ProcessStartInfo(chromium, ["--headless", "--disable-gpu", "--no-sandbox", $"--screenshot={png}", "--window-size=640,400", new Uri(svgPath).AbsoluteUri])
                    : new ProcessStartInfo(rsvg!, [svgPath, "-o", png]);
                start.RedirectStandardError = true;
                start.RedirectStandardOutput = true;
                using var process = Process.Start(start)!;
                Assert.True(process.WaitForExit(60_000), "the renderer did not finish");
                var bytes = File.ReadAllBytes(png);
                Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes.Take(4).ToArray());
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
