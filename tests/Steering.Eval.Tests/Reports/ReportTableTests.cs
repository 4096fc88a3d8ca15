using DiffusionSteering.Steering.Eval.Reports;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Reports;

public sealed class ReportTableTests
{
    private static ConfidenceInterval Ci(double e, double lo, double hi, double level = 0.95) => new(e, lo, hi, level);

    [Fact]
    public void MarkdownColumnsArePaddedAndAligned()
    {
        var table = new ReportTable(["Metric", "Value", "Note"], [ColumnAlignment.Left, ColumnAlignment.Right, ColumnAlignment.Center])
            .AddRow("strength", "0.5", "ok")
            .AddRow("a|b", "12.25", "centred text");
        var lines = table.ToMarkdown().TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.Equal(lines[0].Length, l.Length));   // raw text lines up
        Assert.Equal("| Metric   | Value |     Note     |", lines[0]);
        Assert.Equal("| :------- | ----: | :----------: |", lines[1]);
        Assert.Equal("| strength |   0.5 |      ok      |", lines[2]);
        Assert.Equal(@"| a\|b     | 12.25 | centred text |", lines[3]);
    }

    [Fact]
    public void MetricTableShowsValueAndInterval()
    {
        var md = ReportTable.Metrics([new MetricRow("steering strength", Ci(0.5, 0.41, 0.6)), new MetricRow("ΔC", Ci(-0.02, -0.05, 0.01))]).ToMarkdown();
        Assert.Equal(
            "| Metric            |  Value |          95% CI |\n" +
            "| :---------------- | -----: | --------------: |\n" +
            "| steering strength |  0.500 |  [0.410, 0.600] |\n" +
            "| ΔC                | -0.020 | [-0.050, 0.010] |\n", md);
        Assert.Equal("90% CI", ReportTable.LevelHeader(0.9));
    }

    [Fact]
    public void MethodComparisonHasAColumnPerMethodAndThePairedDifference()
    {
        var rows = new[]
        {
            new ComparisonRow("strength", [Ci(0.40, 0.30, 0.50), Ci(0.55, 0.45, 0.65)], new PairedComparison(Ci(0.15, 0.05, 0.25), 0.004, true)),
            new ComparisonRow("distinct-2", [Ci(0.80, 0.78, 0.82), Ci(0.79, 0.77, 0.81)]),
        };
        var table = ReportTable.MethodComparison(["uniform", "adaptive"], rows);
        Assert.Equal(["Metric", "uniform (95% CI)", "adaptive (95% CI)", "Δ (adaptive − uniform)", "p"], table.Headers);
        Assert.Equal(["strength", "0.400 [0.300, 0.500]", "0.550 [0.450, 0.650]", "0.150 [0.050, 0.250]", "0.004"], table.Rows[0]);
        Assert.Equal("–", table.Rows[1][3]);
        var html = table.ToHtml("Comparison");
        Assert.Contains("<caption>Comparison</caption>", html);
        Assert.Contains("<th style=\"text-align:right\">Δ (adaptive − uniform)</th>", html);
        System.Xml.Linq.XElement.Parse(html);   // well-formed
    }

    [Fact]
    public void FormatsPValues()
    {
        Assert.Equal("<0.001", ReportTable.FormatP(0.0004));
        Assert.Equal("0.050", ReportTable.FormatP(0.05));
        Assert.Throws<ArgumentException>(() => ReportTable.FormatP(double.NaN));
    }

    [Fact]
    public void BadTablesAreRejected()
    {
        Assert.Contains("at least one column", Assert.Throws<ArgumentException>(() => new ReportTable([])).Message);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() => new ReportTable(["a", "b"]).AddRow("x")).Message);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() => new ReportTable(["a", "b"], [ColumnAlignment.Left])).Message);
        Assert.Contains("at least one row", Assert.Throws<ArgumentException>(() => ReportTable.Metrics([])).Message);
        Assert.Contains("different confidence levels", Assert.Throws<ArgumentException>(() =>
            ReportTable.Metrics([new MetricRow("a", Ci(1, 0, 2)), new MetricRow("b", Ci(1, 0, 2, 0.9))])).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => ReportTable.Metrics([new MetricRow("a", Ci(double.NaN, 0, 2))])).Message);
        Assert.Contains("Length mismatch", Assert.Throws<ArgumentException>(() =>
            ReportTable.MethodComparison(["a", "b"], [new ComparisonRow("m", [Ci(1, 0, 2)])])).Message);
    }
}
