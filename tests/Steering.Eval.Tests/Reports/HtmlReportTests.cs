using System.Xml;
using System.Xml.Linq;
using DiffusionSteering.Steering.Eval.DecodingOrder;
using DiffusionSteering.Steering.Eval.Reports;
using DiffusionSteering.Steering.Eval.Statistics;
using DiffusionSteering.Steering.Eval.Tests.DecodingOrder;

namespace DiffusionSteering.Steering.Eval.Tests.Reports;

public sealed class HtmlReportTests
{
    private static XDocument Parse(string html) =>
        XDocument.Load(XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null }));

    [Fact]
    public void ReportAssemblesSectionsTablesFiguresAndGenerations()
    {
        var decoding = DecodingOrderMath.Evaluate([DecodingOrderMathTests.HandWorked()], new DecodingOrderOptions { TopK = 2, ProgressBins = 4 }, layer: 5);
        var result = new DecodingOrderResult([decoding]);
        var report = new HtmlReport("Steering report", "llada-tiny · 8 steps")
            .Section("Summary")
            .Paragraph("Adaptive steering beats uniform at equal budget <allegedly>.")
            .Table(ReportTable.Metrics([new MetricRow("strength", new ConfidenceInterval(0.5, 0.4, 0.6, 0.95))]), "Strength")
            .Section("Decoding order")
            .Table(ReportCharts.DecodingOrderTable(result, new BootstrapOptions { Resamples = 100 }))
            .Figures(
                [ReportCharts.DecodingOrderHeatmap(result, l => l.PreMaskStability, "pre-mask stability"), ReportCharts.DecodingOrderCurves(result, l => l.LockRate, "lock rate")],
                ["stability", "lock"])
            .Section("Examples")
            .Generations(["uniform", "adaptive"], [new GenerationExample("The movie was", [" fine & dandy", " <b>wonderful</b>"]) { Note = "seed 1" }]);
        var html = report.Render();
        var doc = Parse(html);
        Assert.Equal(3, doc.Descendants("section").Count());
        Assert.Equal(["Summary", "Decoding order", "Examples"], doc.Descendants("h2").Select(e => e.Value));
        Assert.Equal(2, doc.Descendants("table").Count());
        Assert.Equal(2, doc.Descendants().Count(e => e.Name.LocalName == "svg"));
        Assert.Equal([" fine & dandy", " <b>wonderful</b>"], doc.Descendants("div").Where(d => (string?)d.Attribute("class") == "generation").Select(d => d.Value));
        Assert.Contains("&lt;allegedly&gt;", html);
        Assert.DoesNotContain(doc.Descendants().Attributes(), a => a.Name.LocalName is "src" or "href");
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName == "script");
        // the decoding-order table lists the five metrics of the layer
        var rows = doc.Descendants("table").Last().Descendants("tr").Skip(1).ToList();
        Assert.Equal(5, rows.Count);
        Assert.Equal("0.458", rows[0].Elements("td").ElementAt(2).Value);   // 11/24
    }

    [Fact]
    public void FiguresMustBeStaticSelfContainedSvg()
    {
        var report = new HtmlReport("r");
        Assert.Contains("not well-formed", Assert.Throws<ArgumentException>(() => report.Figure("<svg><g></svg>")).Message);
        Assert.Contains("not <svg>", Assert.Throws<ArgumentException>(() => report.Figure("<div/>")).Message);
        Assert.Contains("external", Assert.Throws<ArgumentException>(() =>
            report.Figure("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><image xlink:href=\"https://example.com/a.png\"/></svg>")).Message);
        Assert.Contains("script", Assert.Throws<ArgumentException>(() => report.Figure("<svg><script>alert(1)</script></svg>")).Message);
        Assert.Contains("event handler", Assert.Throws<ArgumentException>(() => report.Figure("<svg onload=\"alert(1)\"/>")).Message);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() =>
            report.Generations(["a", "b"], [new GenerationExample("p", ["only one"])])).Message);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() => report.Figures(["<svg/>"], ["a", "b"])).Message);
        Assert.Throws<ArgumentException>(() => new HtmlReport(" "));
    }

    [Fact]
    public void ReportCanBeWrittenToDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"report-{Guid.NewGuid():N}.html");
        try
        {
            new HtmlReport("Written").Paragraph("x").Write(path);
            Parse(File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
