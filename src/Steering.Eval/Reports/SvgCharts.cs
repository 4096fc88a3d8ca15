namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>
/// Self-contained SVG charts written by hand: no scripts, stylesheets, fonts or URLs, so a file opens in any browser or
/// can be pasted into HTML or Markdown. Every mark carries a class (<c>series</c>, <c>marker</c>, <c>bar</c>,
/// <c>point</c>, <c>errorbar</c>, <c>cell</c>, <c>cell-missing</c>, <c>colorbar-step</c>, <c>axis</c>, <c>tick-label</c>,
/// <c>axis-label</c>, <c>title</c>, <c>legend-swatch</c>, <c>legend-label</c>) and a &lt;title&gt; tooltip with its value.
/// Bad input (no series, empty series, mismatched lengths, NaN or infinite values) throws <see cref="ArgumentException"/>.
/// </summary>
public static class SvgCharts
{
    private const double MarginLeft = 68, MarginBottom = 52, LegendRow = 18;

    /// <summary>A line plot: one &lt;path class="series"&gt; per series (plus circles when <see cref="LineSeries.Markers"/>).</summary>
    public static string LinePlot(IReadOnlyList<LineSeries> series, PlotOptions? options = null)
    {
        options ??= new PlotOptions();
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("A line plot needs at least one series.", nameof(series));
        for (var s = 0; s < series.Count; s++)
        {
            var line = series[s] ?? throw new ArgumentException($"Series {s} is null.", nameof(series));
            var what = $"series {s} (\"{line.Name}\")";
            if (line.X is null || line.Y is null) throw new ArgumentException($"{what}: X and Y are required.", nameof(series));
            if (line.X.Count == 0) throw new ArgumentException($"{what} is empty.", nameof(series));
            if (line.X.Count != line.Y.Count) throw new ArgumentException($"{what}: length mismatch, {line.X.Count} x values and {line.Y.Count} y values.", nameof(series));
            Markup.RequireFinite(line.X, what + " x", nameof(series));
            Markup.RequireFinite(line.Y, what + " y", nameof(series));
            Palette.CheckColor(line.Color, what);
        }
        var names = series.Select(s => s.Name ?? string.Empty).ToArray();
        var canvas = new SvgCanvas(options.Width, options.Height, options.Title);
        var area = Area(options, LegendWidth(options, names));
        var xs = Scale(series.SelectMany(s => s.X), options.XRange, area.Left, area.Right);
        var ys = Scale(series.SelectMany(s => s.Y), options.YRange, area.Bottom, area.Top);
        DrawFrame(canvas, area, xs, ys, options);
        canvas.OpenGroup("plot");
        for (var s = 0; s < series.Count; s++)
        {
            var line = series[s];
            var color = line.Color ?? Palette.Series(s);
            var points = line.X.Zip(line.Y, (x, y) => (xs.Map(x), ys.Map(y))).ToArray();
            canvas.Path(SvgCanvas.Polyline(points), "series", color, 2, dash: line.Dashed ? "6 4" : null, tooltip: line.Name);
            if (line.Markers || points.Length == 1)
                for (var i = 0; i < points.Length; i++)
                    canvas.Circle(points[i].Item1, points[i].Item2, 3, "marker", color, tooltip: $"{line.Name}: ({Markup.Value(line.X[i], 3)}, {Markup.Value(line.Y[i], 3)})");
        }
        canvas.CloseGroup();
        DrawLegend(canvas, area, options, series.Select((s, i) => new LegendEntry(names[i], s.Color ?? Palette.Series(i), LegendKind.Line, s.Dashed)).ToArray());
        return canvas.Finish();
    }

    /// <summary>
    /// A grouped bar chart: one &lt;rect class="bar"&gt; per (category, group), categories along x, groups side by side in
    /// each category, optional error bars (&lt;path class="errorbar"&gt;).
    /// </summary>
    public static string GroupedBarChart(IReadOnlyList<string> categories, IReadOnlyList<BarGroup> groups, PlotOptions? options = null)
    {
        options ??= new PlotOptions();
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(groups);
        if (categories.Count == 0) throw new ArgumentException("A bar chart needs at least one category.", nameof(categories));
        if (groups.Count == 0) throw new ArgumentException("A bar chart needs at least one group.", nameof(groups));
        var all = new List<double> { 0 };
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g] ?? throw new ArgumentException($"Group {g} is null.", nameof(groups));
            var what = $"group {g} (\"{group.Name}\")";
            if (group.Values is null || group.Values.Count != categories.Count)
                throw new ArgumentException($"{what}: length mismatch, {group.Values?.Count ?? 0} values for {categories.Count} categories.", nameof(groups));
            Markup.RequireFinite(group.Values, what, nameof(groups));
            all.AddRange(group.Values);
            if ((group.Lower is null) != (group.Upper is null)) throw new ArgumentException($"{what}: give both Lower and Upper error bounds or neither.", nameof(groups));
            if (group.Lower is not null && group.Upper is not null)
            {
                if (group.Lower.Count != categories.Count || group.Upper.Count != categories.Count)
                    throw new ArgumentException($"{what}: length mismatch, error bounds need {categories.Count} entries each.", nameof(groups));
                Markup.RequireFinite(group.Lower, what + " lower", nameof(groups));
                Markup.RequireFinite(group.Upper, what + " upper", nameof(groups));
                for (var c = 0; c < categories.Count; c++)
                    if (group.Lower[c] > group.Upper[c]) throw new ArgumentException($"{what}: lower bound {group.Lower[c]} exceeds upper bound {group.Upper[c]} at category {c}.", nameof(groups));
                all.AddRange(group.Lower);
                all.AddRange(group.Upper);
            }
            Palette.CheckColor(group.Color, what);
        }
        var names = groups.Select(g => g.Name ?? string.Empty).ToArray();
        var canvas = new SvgCanvas(options.Width, options.Height, options.Title);
        var area = Area(options, LegendWidth(options, names));
        var ys = Scale(all, options.YRange, area.Bottom, area.Top);
        DrawFrame(canvas, area, null, ys, options);
        var band = (area.Right - area.Left) / categories.Count;
        var barWidth = band * 0.8 / groups.Count;
        canvas.OpenGroup("category-labels");
        for (var c = 0; c < categories.Count; c++)
            canvas.Text(area.Left + (c + 0.5) * band, area.Bottom + 16, categories[c] ?? string.Empty, "category-label", "middle");
        canvas.CloseGroup();
        canvas.OpenGroup("plot");
        var zero = ys.Map(0);
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var color = group.Color ?? Palette.Series(g);
            for (var c = 0; c < categories.Count; c++)
            {
                var x = area.Left + c * band + band * 0.1 + g * barWidth;
                var y = ys.Map(group.Values[c]);
                canvas.Rect(x, Math.Min(y, zero), barWidth, Math.Abs(zero - y), "bar", color, tooltip: $"{group.Name} · {categories[c]}: {Markup.Value(group.Values[c], 3)}");
                if (group.Lower is not null && group.Upper is not null)
                    canvas.Path(ErrorBarVertical(x + barWidth / 2, ys.Map(group.Lower[c]), ys.Map(group.Upper[c]), Math.Min(6, barWidth / 3)), "errorbar", "#333333", 1.2,
                        tooltip: $"[{Markup.Value(group.Lower[c], 3)}, {Markup.Value(group.Upper[c], 3)}]");
            }
        }
        canvas.CloseGroup();
        DrawLegend(canvas, area, options, groups.Select((g, i) => new LegendEntry(names[i], g.Color ?? Palette.Series(i), LegendKind.Box, false)).ToArray());
        return canvas.Finish();
    }

    /// <summary>
    /// Trade-off curves (e.g. steering strength against quality for uniform vs adaptive schedules): per series a
    /// connecting &lt;path class="series"&gt;, a &lt;circle class="point"&gt; per point and a &lt;path class="errorbar"&gt;
    /// per point that has an interval on either axis.
    /// </summary>
    public static string TradeoffPlot(IReadOnlyList<TradeoffSeries> series, PlotOptions? options = null)
    {
        options ??= new PlotOptions();
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("A trade-off plot needs at least one series.", nameof(series));
        var xsAll = new List<double>();
        var ysAll = new List<double>();
        for (var s = 0; s < series.Count; s++)
        {
            var curve = series[s] ?? throw new ArgumentException($"Series {s} is null.", nameof(series));
            var what = $"series {s} (\"{curve.Name}\")";
            if (curve.Points is null || curve.Points.Count == 0) throw new ArgumentException($"{what} is empty.", nameof(series));
            Palette.CheckColor(curve.Color, what);
            for (var i = 0; i < curve.Points.Count; i++)
            {
                var p = curve.Points[i] ?? throw new ArgumentException($"{what}: point {i} is null.", nameof(series));
                double?[] values = [p.X, p.Y, p.XLower, p.XUpper, p.YLower, p.YUpper];
                foreach (var v in values)
                    if (v is double d && !double.IsFinite(d))
                        throw new ArgumentException($"{what}: point {i} has the non-finite value {d}; plotted values must be finite (no NaN or infinity).", nameof(series));
                if (p.YLower > p.YUpper || p.XLower > p.XUpper) throw new ArgumentException($"{what}: point {i} has a lower bound above its upper bound.", nameof(series));
                xsAll.Add(p.X);
                ysAll.Add(p.Y);
                if (p.XLower is double xl) xsAll.Add(xl);
                if (p.XUpper is double xu) xsAll.Add(xu);
                if (p.YLower is double yl) ysAll.Add(yl);
                if (p.YUpper is double yu) ysAll.Add(yu);
            }
        }
        var names = series.Select(s => s.Name ?? string.Empty).ToArray();
        var canvas = new SvgCanvas(options.Width, options.Height, options.Title);
        var area = Area(options, LegendWidth(options, names));
        var xs = Scale(xsAll, options.XRange, area.Left, area.Right);
        var ys = Scale(ysAll, options.YRange, area.Bottom, area.Top);
        DrawFrame(canvas, area, xs, ys, options);
        canvas.OpenGroup("plot");
        for (var s = 0; s < series.Count; s++)
        {
            var curve = series[s];
            var color = curve.Color ?? Palette.Series(s);
            canvas.Path(SvgCanvas.Polyline(curve.Points.Select(p => (xs.Map(p.X), ys.Map(p.Y)))), "series", color, 1.6, dash: curve.Dashed ? "6 4" : null, tooltip: curve.Name);
            foreach (var p in curve.Points)
            {
                if (!p.HasXBar && !p.HasYBar) continue;
                var d = new List<string>();
                if (p.HasYBar) d.Add(ErrorBarVertical(xs.Map(p.X), ys.Map(p.YLower ?? p.Y), ys.Map(p.YUpper ?? p.Y), 4));
                if (p.HasXBar) d.Add(ErrorBarHorizontal(ys.Map(p.Y), xs.Map(p.XLower ?? p.X), xs.Map(p.XUpper ?? p.X), 4));
                canvas.Path(string.Join(' ', d), "errorbar", color, 1.2, tooltip: BarTooltip(p));
            }
            foreach (var p in curve.Points)
            {
                canvas.Circle(xs.Map(p.X), ys.Map(p.Y), 4, "point", color, "#ffffff",
                    $"{curve.Name}{(p.Label is null ? "" : " " + p.Label)}: ({Markup.Value(p.X, 3)}, {Markup.Value(p.Y, 3)})");
                if (!string.IsNullOrEmpty(p.Label)) canvas.Text(xs.Map(p.X) + 6, ys.Map(p.Y) - 6, p.Label, "point-label", size: 10, fill: color);
            }
        }
        canvas.CloseGroup();
        DrawLegend(canvas, area, options, series.Select((s, i) => new LegendEntry(names[i], s.Color ?? Palette.Series(i), LegendKind.LineAndPoint, s.Dashed)).ToArray());
        return canvas.Finish();
    }

    /// <summary>
    /// A heatmap (e.g. layer × step) on the viridis scale: one &lt;rect class="cell"&gt; per finite cell (and
    /// &lt;rect class="cell-missing"&gt; per NaN cell when <see cref="HeatmapOptions.AllowMissing"/>), row and column labels,
    /// and a colour bar of 32 &lt;rect class="colorbar-step"&gt; with tick labels.
    /// </summary>
    public static string Heatmap(HeatmapData data, HeatmapOptions? options = null)
    {
        options ??= new HeatmapOptions();
        ArgumentNullException.ThrowIfNull(data);
        var values = data.Values ?? throw new ArgumentException("Heatmap values are required.", nameof(data));
        int rows = values.GetLength(0), cols = values.GetLength(1);
        if (rows == 0 || cols == 0) throw new ArgumentException($"A heatmap needs at least one row and one column; got {rows} × {cols}.", nameof(data));
        if (data.RowLabels is null || data.RowLabels.Count != rows)
            throw new ArgumentException($"Length mismatch: {rows} rows but {data.RowLabels?.Count ?? 0} row labels.", nameof(data));
        if (data.ColumnLabels is null || data.ColumnLabels.Count != cols)
            throw new ArgumentException($"Length mismatch: {cols} columns but {data.ColumnLabels?.Count ?? 0} column labels.", nameof(data));
        if (options.MaxColumnLabels < 1) throw new ArgumentException("MaxColumnLabels must be at least 1.", nameof(options));
        if (options.Decimals is < 0 or > 10) throw new ArgumentException("Decimals must be in [0, 10].", nameof(options));
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        var missing = 0;
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
            {
                var v = values[r, c];
                if (double.IsNaN(v))
                {
                    if (!options.AllowMissing)
                        throw new ArgumentException($"Heatmap cell [{r}, {c}] is NaN; set AllowMissing to draw missing cells.", nameof(data));
                    missing++;
                    continue;
                }
                if (double.IsInfinity(v)) throw new ArgumentException($"Heatmap cell [{r}, {c}] is {v}; values must be finite.", nameof(data));
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        if (missing == rows * cols) throw new ArgumentException("Every heatmap cell is missing; there is nothing to draw.", nameof(data));
        var cmin = options.ColorMin ?? min;
        var cmax = options.ColorMax ?? max;
        if (!double.IsFinite(cmin) || !double.IsFinite(cmax) || cmax < cmin)
            throw new ArgumentException($"Colour range [{cmin}, {cmax}] must be finite and increasing.", nameof(options));

        var canvas = new SvgCanvas(options.Width, options.Height, options.Title);
        var rowLabelWidth = Math.Max(40, 8 + 7 * data.RowLabels.Max(l => (l ?? "").Length));
        var left = rowLabelWidth + (options.YLabel is null ? 8 : 26);
        var top = options.Title is null ? 14 : 38;
        var right = options.Width - 96;
        var bottom = options.Height - (options.XLabel is null ? 34 : 52);
        if (right - left < 40 || bottom - top < 30) throw new ArgumentException("The heatmap is too small for its labels; increase Width/Height.", nameof(options));
        var cw = (right - left) / cols;
        var ch = (bottom - top) / rows;
        if (options.Title is not null) canvas.Text(options.Width / 2, 22, options.Title, "title", "middle", 14, bold: true);
        canvas.OpenGroup("cells", "shape-rendering=\"crispEdges\"");
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
            {
                var v = values[r, c];
                var label = $"{data.RowLabels[r]} · {data.ColumnLabels[c]}: ";
                if (double.IsNaN(v)) canvas.Rect(left + c * cw, top + r * ch, cw, ch, "cell-missing", "#d9d9d9", tooltip: label + "no data");
                else canvas.Rect(left + c * cw, top + r * ch, cw, ch, "cell", Palette.Viridis(cmax > cmin ? (v - cmin) / (cmax - cmin) : 0.5), tooltip: label + Markup.Value(v, options.Decimals));
            }
        canvas.CloseGroup();
        canvas.OpenGroup("labels");
        for (var r = 0; r < rows; r++) canvas.Text(left - 6, top + (r + 0.5) * ch + 4, data.RowLabels[r] ?? "", "row-label", "end");
        var every = (int)Math.Ceiling((double)cols / options.MaxColumnLabels);
        for (var c = 0; c < cols; c += every) canvas.Text(left + (c + 0.5) * cw, bottom + 14, data.ColumnLabels[c] ?? "", "column-label", "middle", 10);
        if (options.XLabel is not null) canvas.Text((left + right) / 2, options.Height - 12, options.XLabel, "axis-label", "middle");
        if (options.YLabel is not null) canvas.Text(14, (top + bottom) / 2, options.YLabel, "axis-label", "middle", rotate: -90);
        canvas.CloseGroup();

        // colour bar
        canvas.OpenGroup("colorbar");
        const int steps = 32;
        double barX = right + 14, barW = 14, barTop = top, barBottom = missing > 0 ? bottom - 28 : bottom;
        var stepH = (barBottom - barTop) / steps;
        for (var i = 0; i < steps; i++)
        {
            var t = (i + 0.5) / steps;
            canvas.Rect(barX, barBottom - (i + 1) * stepH, barW, stepH + 0.3, "colorbar-step", Palette.Viridis(t));
        }
        canvas.Rect(barX, barTop, barW, barBottom - barTop, "colorbar-frame", "none", "#555555");
        var cs = cmax > cmin ? LinearScale.Nice(cmin, cmax, barBottom, barTop, 5) : null;
        if (cs is null) canvas.Text(barX + barW + 4, (barTop + barBottom) / 2 + 4, Markup.Value(cmin, options.Decimals), "colorbar-label", size: 10);
        else
        {
            foreach (var tick in cs.Ticks.Where(t => t >= cmin - 1e-12 * Math.Abs(cmax - cmin) && t <= cmax + 1e-12 * Math.Abs(cmax - cmin)))
            {
                var y = barBottom - (tick - cmin) / (cmax - cmin) * (barBottom - barTop);
                canvas.Line(barX + barW, y, barX + barW + 3, y, "tick", "#555555");
                canvas.Text(barX + barW + 5, y + 3.5, cs.Label(tick), "colorbar-label", size: 10);
            }
        }
        if (options.ColorBarLabel is not null) canvas.Text(options.Width - 8, (barTop + barBottom) / 2, options.ColorBarLabel, "colorbar-title", "middle", 11, rotate: -90);
        if (missing > 0)
        {
            canvas.Rect(barX, bottom - 14, barW, 14, "missing-swatch", "#d9d9d9", "#555555");
            canvas.Text(barX + barW + 4, bottom - 3, "no data", "colorbar-label", size: 10);
        }
        canvas.CloseGroup();
        return canvas.Finish();
    }

    /// <summary>A histogram: contiguous &lt;rect class="bar"&gt;, one per bin, over a numeric x axis.</summary>
    public static string HistogramChart(Histogram histogram, PlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        options ??= new PlotOptions();
        var canvas = new SvgCanvas(options.Width, options.Height, options.Title);
        var area = Area(options, 0);
        var xs = Scale(histogram.Edges, options.XRange, area.Left, area.Right);
        var ys = Scale([0, .. histogram.Counts.Select(c => (double)c)], options.YRange, area.Bottom, area.Top, minStep: 1);   // counts: integer ticks
        DrawFrame(canvas, area, xs, ys, options);
        canvas.OpenGroup("plot");
        for (var i = 0; i < histogram.Counts.Count; i++)
        {
            double x0 = xs.Map(histogram.Edges[i]), x1 = xs.Map(histogram.Edges[i + 1]), y = ys.Map(histogram.Counts[i]);
            canvas.Rect(x0, y, Math.Max(0.5, x1 - x0 - 0.5), ys.Map(0) - y, "bar", Palette.Series(0),
                tooltip: $"[{Markup.Value(histogram.Edges[i], 3)}, {Markup.Value(histogram.Edges[i + 1], 3)}): {histogram.Counts[i]}");
        }
        canvas.CloseGroup();
        return canvas.Finish();
    }

    // ---- layout helpers ----

    internal readonly record struct PlotArea(double Left, double Top, double Right, double Bottom);

    private enum LegendKind { Line, Box, LineAndPoint }

    private readonly record struct LegendEntry(string Name, string Color, LegendKind Kind, bool Dashed);

    private static bool ShowLegend(PlotOptions options, IReadOnlyList<string> names) =>
        options.Legend && !(names.Count == 1 && string.IsNullOrEmpty(names[0]));

    private static double LegendWidth(PlotOptions options, IReadOnlyList<string> names) =>
        ShowLegend(options, names) ? Math.Min(220, 40 + 6.5 * names.Max(n => n.Length)) : 0;

    private static PlotArea Area(PlotOptions options, double legendWidth)
    {
        var top = options.Title is null ? 16 : 40;
        var area = new PlotArea(MarginLeft, top, options.Width - 16 - legendWidth, options.Height - MarginBottom);
        if (area.Right - area.Left < 40 || area.Bottom - area.Top < 40)
            throw new ArgumentException($"The plot area is too small ({options.Width} × {options.Height} with its legend); increase Width/Height.", nameof(options));
        return area;
    }

    private static LinearScale Scale(IEnumerable<double> values, (double Min, double Max)? hint, double pixelMin, double pixelMax, double minStep = 0)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (hint is { } h)
        {
            if (!double.IsFinite(h.Min) || !double.IsFinite(h.Max) || h.Max < h.Min) throw new ArgumentException($"Axis range ({h.Min}, {h.Max}) must be finite and increasing.");
            min = Math.Min(min, h.Min);
            max = Math.Max(max, h.Max);
        }
        return LinearScale.Nice(min, max, pixelMin, pixelMax, minStep: minStep);
    }

    private static void DrawFrame(SvgCanvas canvas, PlotArea area, LinearScale? xs, LinearScale ys, PlotOptions options)
    {
        if (options.Title is not null) canvas.Text(options.Width / 2, 24, options.Title, "title", "middle", 14, bold: true);
        canvas.OpenGroup("axes");
        foreach (var tick in ys.Ticks)
        {
            var y = ys.Map(tick);
            canvas.Line(area.Left, y, area.Right, y, "grid", "#e6e6e6");
            canvas.Line(area.Left - 4, y, area.Left, y, "tick", "#555555");
            canvas.Text(area.Left - 7, y + 4, ys.Label(tick), "tick-label", "end", 11);
        }
        if (xs is not null)
            foreach (var tick in xs.Ticks)
            {
                var x = xs.Map(tick);
                canvas.Line(x, area.Bottom, x, area.Bottom + 4, "tick", "#555555");
                canvas.Text(x, area.Bottom + 17, xs.Label(tick), "tick-label", "middle", 11);
            }
        canvas.Line(area.Left, area.Bottom, area.Right, area.Bottom, "axis", "#555555");
        canvas.Line(area.Left, area.Top, area.Left, area.Bottom, "axis", "#555555");
        if (options.XLabel is not null) canvas.Text((area.Left + area.Right) / 2, options.Height - 12, options.XLabel, "axis-label", "middle");
        if (options.YLabel is not null) canvas.Text(16, (area.Top + area.Bottom) / 2, options.YLabel, "axis-label", "middle", rotate: -90);
        canvas.CloseGroup();
    }

    private static void DrawLegend(SvgCanvas canvas, PlotArea area, PlotOptions options, IReadOnlyList<LegendEntry> entries)
    {
        if (!ShowLegend(options, entries.Select(e => e.Name).ToArray())) return;
        canvas.OpenGroup("legend");
        var x = area.Right + 14;
        for (var i = 0; i < entries.Count; i++)
        {
            var y = area.Top + 8 + i * LegendRow;
            var e = entries[i];
            switch (e.Kind)
            {
                case LegendKind.Box:
                    canvas.Rect(x, y - 6, 14, 12, "legend-swatch", e.Color);
                    break;
                case LegendKind.LineAndPoint:
                    canvas.Line(x, y, x + 18, y, "legend-swatch", e.Color, 2, e.Dashed ? "4 3" : null);
                    canvas.Circle(x + 9, y, 3.5, "legend-marker", e.Color, "#ffffff");
                    break;
                default:
                    canvas.Line(x, y, x + 18, y, "legend-swatch", e.Color, 2.5, e.Dashed ? "4 3" : null);
                    break;
            }
            canvas.Text(x + 24, y + 4, e.Name, "legend-label", size: 11);
        }
        canvas.CloseGroup();
    }

    private static string ErrorBarVertical(double x, double y0, double y1, double cap) =>
        $"M{Markup.Num(x)} {Markup.Num(y0)} L{Markup.Num(x)} {Markup.Num(y1)} M{Markup.Num(x - cap)} {Markup.Num(y0)} L{Markup.Num(x + cap)} {Markup.Num(y0)} M{Markup.Num(x - cap)} {Markup.Num(y1)} L{Markup.Num(x + cap)} {Markup.Num(y1)}";

    private static string ErrorBarHorizontal(double y, double x0, double x1, double cap) =>
        $"M{Markup.Num(x0)} {Markup.Num(y)} L{Markup.Num(x1)} {Markup.Num(y)} M{Markup.Num(x0)} {Markup.Num(y - cap)} L{Markup.Num(x0)} {Markup.Num(y + cap)} M{Markup.Num(x1)} {Markup.Num(y - cap)} L{Markup.Num(x1)} {Markup.Num(y + cap)}";

    private static string BarTooltip(TradeoffPoint p)
    {
        var parts = new List<string>();
        if (p.HasXBar) parts.Add($"x [{Markup.Value(p.XLower ?? p.X, 3)}, {Markup.Value(p.XUpper ?? p.X, 3)}]");
        if (p.HasYBar) parts.Add($"y [{Markup.Value(p.YLower ?? p.Y, 3)}, {Markup.Value(p.YUpper ?? p.Y, 3)}]");
        return string.Join(", ", parts);
    }
}
