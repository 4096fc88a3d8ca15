using System.Globalization;
using System.Text;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>Horizontal alignment of a table column.</summary>
public enum ColumnAlignment
{
    /// <summary>Left (<c>:---</c>).</summary>
    Left,
    /// <summary>Centred (<c>:---:</c>).</summary>
    Center,
    /// <summary>Right (<c>---:</c>), the default for numbers.</summary>
    Right,
}

/// <summary>A metric with its estimate and interval, one row of <see cref="ReportTable.Metrics"/>.</summary>
/// <param name="Metric">Name.</param>
/// <param name="Interval">Estimate and confidence interval.</param>
public sealed record MetricRow(string Metric, ConfidenceInterval Interval);

/// <summary>One metric measured for several methods (same order as the table's methods), optionally with a paired comparison.</summary>
/// <param name="Metric">Name.</param>
/// <param name="Methods">Estimate and interval per method.</param>
/// <param name="Difference">Paired comparison of the last method against the first (interval of the mean difference and p-value), or null.</param>
public sealed record ComparisonRow(string Metric, IReadOnlyList<ConfidenceInterval> Methods, PairedComparison? Difference = null);

/// <summary>
/// A table that renders as GitHub-flavoured Markdown (columns padded so the raw text lines up, alignment row with
/// colons, pipes escaped) or as an HTML &lt;table&gt;.
/// </summary>
public sealed class ReportTable
{
    private readonly string[] _headers;
    private readonly ColumnAlignment[] _alignments;
    private readonly List<string[]> _rows = new();

    /// <summary>Creates a table.</summary>
    /// <param name="headers">Column headers (at least one).</param>
    /// <param name="alignments">One alignment per column; the first column left and the others right when null.</param>
    public ReportTable(IReadOnlyList<string> headers, IReadOnlyList<ColumnAlignment>? alignments = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.Count == 0) throw new ArgumentException("A table needs at least one column.", nameof(headers));
        if (alignments is not null && alignments.Count != headers.Count)
            throw new ArgumentException($"Length mismatch: {headers.Count} columns but {alignments.Count} alignments.", nameof(alignments));
        _headers = headers.Select(h => h ?? string.Empty).ToArray();
        _alignments = alignments?.ToArray() ?? headers.Select((_, i) => i == 0 ? ColumnAlignment.Left : ColumnAlignment.Right).ToArray();
        foreach (var a in _alignments)
            if (!Enum.IsDefined(a)) throw new ArgumentException($"Unknown alignment {a}.", nameof(alignments));
    }

    /// <summary>Column headers.</summary>
    public IReadOnlyList<string> Headers => _headers;

    /// <summary>Column alignments.</summary>
    public IReadOnlyList<ColumnAlignment> Alignments => _alignments;

    /// <summary>Rows added so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    /// <summary>Appends a row; it must have one cell per column.</summary>
    public ReportTable AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"Length mismatch: the table has {_headers.Length} columns but the row has {cells.Length} cells.", nameof(cells));
        _rows.Add(cells.Select(c => c ?? string.Empty).ToArray());
        return this;
    }

    /// <summary>The table as GitHub-flavoured Markdown, one line per row, ending with a newline.</summary>
    public string ToMarkdown()
    {
        var cells = new List<string[]> { _headers.Select(MarkdownCell).ToArray() };
        cells.AddRange(_rows.Select(r => r.Select(MarkdownCell).ToArray()));
        var widths = new int[_headers.Length];
        for (var c = 0; c < widths.Length; c++) widths[c] = Math.Max(3, cells.Max(r => r[c].Length));
        var sb = new StringBuilder();
        AppendLine(sb, cells[0], widths);
        sb.Append('|');
        for (var c = 0; c < widths.Length; c++)
        {
            var dashes = new string('-', widths[c]);
            var rule = _alignments[c] switch
            {
                ColumnAlignment.Left => ":" + dashes[1..],
                ColumnAlignment.Center => ":" + dashes[2..] + ":",
                _ => dashes[1..] + ":",
            };
            sb.Append(' ').Append(rule).Append(" |");
        }
        sb.Append('\n');
        foreach (var row in cells.Skip(1)) AppendLine(sb, row, widths);
        return sb.ToString();
    }

    private void AppendLine(StringBuilder sb, string[] row, int[] widths)
    {
        sb.Append('|');
        for (var c = 0; c < row.Length; c++)
        {
            var pad = widths[c] - row[c].Length;
            var text = _alignments[c] switch
            {
                ColumnAlignment.Right => new string(' ', pad) + row[c],
                ColumnAlignment.Center => new string(' ', pad / 2) + row[c] + new string(' ', pad - pad / 2),
                _ => row[c] + new string(' ', pad),
            };
            sb.Append(' ').Append(text).Append(" |");
        }
        sb.Append('\n');
    }

    private static string MarkdownCell(string text) =>
        text.Replace("\\", "\\\\").Replace("|", "\\|").Replace("\r\n", " ").Replace('\n', ' ').Replace('\r', ' ');

    /// <summary>The table as an HTML &lt;table&gt; (cells escaped, alignment as inline style).</summary>
    public string ToHtml(string? caption = null)
    {
        var sb = new StringBuilder("<table class=\"report-table\">\n");
        if (!string.IsNullOrEmpty(caption)) sb.Append("<caption>").Append(Markup.Escape(caption)).Append("</caption>\n");
        sb.Append("<thead><tr>");
        for (var c = 0; c < _headers.Length; c++) sb.Append($"<th style=\"text-align:{Css(_alignments[c])}\">{Markup.Escape(_headers[c])}</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in _rows)
        {
            sb.Append("<tr>");
            for (var c = 0; c < row.Length; c++) sb.Append($"<td style=\"text-align:{Css(_alignments[c])}\">{Markup.Escape(row[c])}</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
        return sb.ToString();
    }

    private static string Css(ColumnAlignment a) => a switch { ColumnAlignment.Left => "left", ColumnAlignment.Center => "center", _ => "right" };

    /// <summary>"95% CI" for a level of 0.95.</summary>
    public static string LevelHeader(double level) => $"{(level * 100).ToString("0.##", CultureInfo.InvariantCulture)}% CI";

    /// <summary>"[lower, upper]" with <paramref name="decimals"/> decimals.</summary>
    public static string FormatInterval(ConfidenceInterval interval, int decimals = 3)
    {
        ArgumentNullException.ThrowIfNull(interval);
        return $"[{Markup.Value(interval.Lower, decimals)}, {Markup.Value(interval.Upper, decimals)}]";
    }

    /// <summary>A table with columns Metric | Value | 95% CI (the level taken from the rows, which must agree).</summary>
    public static ReportTable Metrics(IReadOnlyList<MetricRow> rows, int decimals = 3)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("A metric table needs at least one row.", nameof(rows));
        CheckDecimals(decimals);
        var level = CommonLevel(rows.Select((r, i) => r?.Interval ?? throw new ArgumentException($"Row {i} has no interval.", nameof(rows))));
        var table = new ReportTable(["Metric", "Value", LevelHeader(level)], [ColumnAlignment.Left, ColumnAlignment.Right, ColumnAlignment.Right]);
        foreach (var r in rows)
        {
            CheckInterval(r.Interval, r.Metric);
            table.AddRow(r.Metric, Markup.Value(r.Interval.Estimate, decimals), FormatInterval(r.Interval, decimals));
        }
        return table;
    }

    /// <summary>
    /// Methods side by side: Metric | one "value [lower, upper]" column per method | (when a row has a paired comparison)
    /// Δ (last − first) with its interval | p.
    /// </summary>
    public static ReportTable MethodComparison(IReadOnlyList<string> methods, IReadOnlyList<ComparisonRow> rows, int decimals = 3)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(rows);
        if (methods.Count == 0) throw new ArgumentException("Name at least one method.", nameof(methods));
        if (rows.Count == 0) throw new ArgumentException("A comparison table needs at least one row.", nameof(rows));
        CheckDecimals(decimals);
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i] ?? throw new ArgumentException($"Row {i} is null.", nameof(rows));
            if (r.Methods is null || r.Methods.Count != methods.Count)
                throw new ArgumentException($"Length mismatch: row \"{r.Metric}\" has {r.Methods?.Count ?? 0} results for {methods.Count} methods.", nameof(rows));
            foreach (var ci in r.Methods) CheckInterval(ci, r.Metric);
            if (r.Difference is not null) CheckInterval(r.Difference.MeanDifference, r.Metric + " difference");
        }
        var level = CommonLevel(rows.SelectMany(r => r.Methods));
        var withDifference = rows.Any(r => r.Difference is not null);
        var headers = new List<string> { "Metric" };
        headers.AddRange(methods.Select(m => $"{m} ({LevelHeader(level)})"));
        if (withDifference)
        {
            headers.Add(methods.Count >= 2 ? $"Δ ({methods[^1]} − {methods[0]})" : "Δ");
            headers.Add("p");
        }
        var table = new ReportTable(headers, headers.Select((_, i) => i == 0 ? ColumnAlignment.Left : ColumnAlignment.Right).ToArray());
        foreach (var r in rows)
        {
            var cells = new List<string> { r.Metric };
            cells.AddRange(r.Methods.Select(ci => $"{Markup.Value(ci.Estimate, decimals)} {FormatInterval(ci, decimals)}"));
            if (withDifference)
            {
                var d = r.Difference;
                cells.Add(d is null ? "–" : $"{Markup.Value(d.MeanDifference.Estimate, decimals)} {FormatInterval(d.MeanDifference, decimals)}");
                cells.Add(d is null ? "–" : FormatP(d.PValue));
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    /// <summary>A p-value as "0.012" or "&lt;0.001".</summary>
    public static string FormatP(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1) throw new ArgumentException($"A p-value must be in [0, 1]; got {p}.", nameof(p));
        return p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);
    }

    private static double CommonLevel(IEnumerable<ConfidenceInterval> intervals)
    {
        var levels = intervals.Select(i => i.Level).Distinct().ToArray();
        if (levels.Length != 1)
            throw new ArgumentException($"The intervals have different confidence levels ({string.Join(", ", levels.Select(l => l.ToString(CultureInfo.InvariantCulture)))}); a table shows one level.");
        return levels[0];
    }

    private static void CheckInterval(ConfidenceInterval? interval, string metric)
    {
        if (interval is null) throw new ArgumentException($"Metric \"{metric}\" has no interval.");
        if (double.IsNaN(interval.Estimate) || double.IsNaN(interval.Lower) || double.IsNaN(interval.Upper))
            throw new ArgumentException($"Metric \"{metric}\" has a NaN estimate or bound.");
    }

    private static void CheckDecimals(int decimals)
    {
        if (decimals is < 0 or > 10) throw new ArgumentException($"decimals must be in [0, 10]; got {decimals}.", nameof(decimals));
    }
}
