using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>Size, titles and axis hints of a chart.</summary>
public record PlotOptions
{
    /// <summary>Width in pixels (default 640).</summary>
    public double Width { get; init; } = 640;

    /// <summary>Height in pixels (default 400).</summary>
    public double Height { get; init; } = 400;

    /// <summary>Title drawn above the plot (and the SVG's &lt;title&gt;).</summary>
    public string? Title { get; init; }

    /// <summary>Label of the horizontal axis.</summary>
    public string? XLabel { get; init; }

    /// <summary>Label of the vertical axis.</summary>
    public string? YLabel { get; init; }

    /// <summary>A range the x axis covers at least (it still widens to include every point).</summary>
    public (double Min, double Max)? XRange { get; init; }

    /// <summary>A range the y axis covers at least (it still widens to include every point).</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Whether to draw a legend (default true; charts with a single unnamed series skip it).</summary>
    public bool Legend { get; init; } = true;
}

/// <summary>Options of a heatmap.</summary>
public sealed record HeatmapOptions : PlotOptions
{
    /// <summary>Value mapped to the first colour of the scale (the data minimum when null).</summary>
    public double? ColorMin { get; init; }

    /// <summary>Value mapped to the last colour of the scale (the data maximum when null).</summary>
    public double? ColorMax { get; init; }

    /// <summary>Label of the colour bar.</summary>
    public string? ColorBarLabel { get; init; }

    /// <summary>
    /// Whether NaN cells are allowed and drawn as "no data" (grey); when false (the default) a NaN cell is an error.
    /// </summary>
    public bool AllowMissing { get; init; }

    /// <summary>At most this many column labels are written (every n-th column), default 12.</summary>
    public int MaxColumnLabels { get; init; } = 12;

    /// <summary>Decimals of the values in cell tooltips and colour-bar ticks (default 3).</summary>
    public int Decimals { get; init; } = 3;
}

/// <summary>One line of a line plot.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">x values (finite).</param>
/// <param name="Y">y values (finite, as many as X).</param>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>Stroke colour (#rrggbb); the palette colour of the series' index when null.</summary>
    public string? Color { get; init; }

    /// <summary>Dashed stroke.</summary>
    public bool Dashed { get; init; }

    /// <summary>Draw a circle at every point as well.</summary>
    public bool Markers { get; init; }
}

/// <summary>One group (colour) of a grouped bar chart: a value per category, optionally with an error interval.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="Values">One value per category.</param>
public sealed record BarGroup(string Name, IReadOnlyList<double> Values)
{
    /// <summary>Lower ends of error bars (one per category), or null.</summary>
    public IReadOnlyList<double>? Lower { get; init; }

    /// <summary>Upper ends of error bars (one per category), or null.</summary>
    public IReadOnlyList<double>? Upper { get; init; }

    /// <summary>Fill colour; palette colour when null.</summary>
    public string? Color { get; init; }
}

/// <summary>A point of a trade-off curve, with optional interval error bars on either axis.</summary>
/// <param name="X">x value (e.g. a quality measure).</param>
/// <param name="Y">y value (e.g. steering strength).</param>
public sealed record TradeoffPoint(double X, double Y)
{
    /// <summary>Lower end of the vertical error bar.</summary>
    public double? YLower { get; init; }

    /// <summary>Upper end of the vertical error bar.</summary>
    public double? YUpper { get; init; }

    /// <summary>Lower end of the horizontal error bar.</summary>
    public double? XLower { get; init; }

    /// <summary>Upper end of the horizontal error bar.</summary>
    public double? XUpper { get; init; }

    /// <summary>Short label written beside the point (e.g. "α=4").</summary>
    public string? Label { get; init; }

    /// <summary>A point whose coordinates and error bars are two confidence intervals (x from <paramref name="x"/>, y from <paramref name="y"/>).</summary>
    public static TradeoffPoint FromIntervals(ConfidenceInterval x, ConfidenceInterval y, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return new TradeoffPoint(x.Estimate, y.Estimate) { XLower = x.Lower, XUpper = x.Upper, YLower = y.Lower, YUpper = y.Upper, Label = label };
    }

    internal bool HasYBar => YLower.HasValue || YUpper.HasValue;

    internal bool HasXBar => XLower.HasValue || XUpper.HasValue;
}

/// <summary>One method's trade-off curve (points joined in the given order, e.g. increasing α).</summary>
/// <param name="Name">Legend entry (e.g. "uniform", "adaptive").</param>
/// <param name="Points">At least one point.</param>
public sealed record TradeoffSeries(string Name, IReadOnlyList<TradeoffPoint> Points)
{
    /// <summary>Colour; palette colour when null.</summary>
    public string? Color { get; init; }

    /// <summary>Dashed connecting line.</summary>
    public bool Dashed { get; init; }
}

/// <summary>A matrix of values with row and column labels (rows drawn top to bottom).</summary>
/// <param name="Values">[rows, columns].</param>
/// <param name="RowLabels">One label per row.</param>
/// <param name="ColumnLabels">One label per column.</param>
public sealed record HeatmapData(double[,] Values, IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels);

/// <summary>Colours used by the charts.</summary>
public static class Palette
{
    /// <summary>Okabe–Ito colour-blind-safe categorical colours (black omitted), then a few extras.</summary>
    public static IReadOnlyList<string> Categorical { get; } =
        ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#7F7F7F", "#8C564B"];

    /// <summary>The categorical colour of series <paramref name="index"/> (cycling).</summary>
    public static string Series(int index) => Categorical[((index % Categorical.Count) + Categorical.Count) % Categorical.Count];

    private static readonly (double R, double G, double B)[] ViridisAnchors =
    [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
    ];

    /// <summary>Viridis colour (piecewise-linear through 10 anchors) of <paramref name="t"/> in [0, 1] (clamped).</summary>
    public static string Viridis(double t)
    {
        if (double.IsNaN(t)) throw new ArgumentException("Colour position must not be NaN.", nameof(t));
        t = Math.Clamp(t, 0, 1) * (ViridisAnchors.Length - 1);
        var i = Math.Min((int)Math.Floor(t), ViridisAnchors.Length - 2);
        var f = t - i;
        var a = ViridisAnchors[i];
        var b = ViridisAnchors[i + 1];
        return Hex(a.R + f * (b.R - a.R), a.G + f * (b.G - a.G), a.B + f * (b.B - a.B));
    }

    /// <summary>#rrggbb of 0–255 channels (rounded, clamped).</summary>
    public static string Hex(double r, double g, double b) =>
        $"#{Channel(r):x2}{Channel(g):x2}{Channel(b):x2}";

    private static int Channel(double v) => (int)Math.Clamp(Math.Round(v), 0, 255);

    internal static void CheckColor(string? color, string what)
    {
        if (color is null) return;
        var ok = color.Length == 7 && color[0] == '#' && color.Skip(1).All(Uri.IsHexDigit);
        if (!ok) throw new ArgumentException($"{what}: colour must be #rrggbb; got \"{color}\".");
    }
}
