using System.Text;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>
/// Writes a standalone SVG 1.1 document by hand: presentation attributes only (no CSS, scripts, fonts or external
/// references), generic <c>sans-serif</c> font, classes on every element so tests and stylesheets can find them.
/// </summary>
internal sealed class SvgCanvas
{
    private readonly StringBuilder _sb = new();
    private int _depth = 1;

    public SvgCanvas(double width, double height, string? title)
    {
        if (!(double.IsFinite(width) && width >= 50)) throw new ArgumentException($"Width must be at least 50 pixels; got {width}.", nameof(width));
        if (!(double.IsFinite(height) && height >= 50)) throw new ArgumentException($"Height must be at least 50 pixels; got {height}.", nameof(height));
        Width = width;
        Height = height;
        var w = Markup.Num(width);
        var h = Markup.Num(height);
        _sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" ")
            .Append("font-family=\"sans-serif\" font-size=\"12\" role=\"img\"");
        if (!string.IsNullOrEmpty(title)) _sb.Append($" aria-label=\"{Markup.Escape(title)}\"");
        _sb.Append(">\n");
        if (!string.IsNullOrEmpty(title)) _sb.Append($"  <title>{Markup.Escape(title)}</title>\n");
        Rect(0, 0, width, height, "background", "#ffffff");
    }

    public double Width { get; }

    public double Height { get; }

    private StringBuilder Indent() => _sb.Append(' ', 2 * _depth);

    public void OpenGroup(string cls, string? attributes = null)
    {
        Indent().Append($"<g class=\"{Markup.Escape(cls)}\"{(attributes is null ? "" : " " + attributes)}>\n");
        _depth++;
    }

    public void CloseGroup()
    {
        _depth--;
        Indent().Append("</g>\n");
    }

    public void Line(double x1, double y1, double x2, double y2, string cls, string stroke, double width = 1, string? dash = null)
    {
        Indent().Append($"<line class=\"{cls}\" x1=\"{Markup.Num(x1)}\" y1=\"{Markup.Num(y1)}\" x2=\"{Markup.Num(x2)}\" y2=\"{Markup.Num(y2)}\" stroke=\"{stroke}\" stroke-width=\"{Markup.Num(width)}\"");
        if (dash is not null) _sb.Append($" stroke-dasharray=\"{dash}\"");
        _sb.Append("/>\n");
    }

    public void Rect(double x, double y, double w, double h, string cls, string fill, string? stroke = null, string? tooltip = null)
    {
        Indent().Append($"<rect class=\"{cls}\" x=\"{Markup.Num(x)}\" y=\"{Markup.Num(y)}\" width=\"{Markup.Num(Math.Max(0, w))}\" height=\"{Markup.Num(Math.Max(0, h))}\" fill=\"{fill}\"");
        if (stroke is not null) _sb.Append($" stroke=\"{stroke}\" stroke-width=\"1\"");
        CloseWithTooltip("rect", tooltip);
    }

    public void Circle(double cx, double cy, double r, string cls, string fill, string? stroke = null, string? tooltip = null)
    {
        Indent().Append($"<circle class=\"{cls}\" cx=\"{Markup.Num(cx)}\" cy=\"{Markup.Num(cy)}\" r=\"{Markup.Num(r)}\" fill=\"{fill}\"");
        if (stroke is not null) _sb.Append($" stroke=\"{stroke}\" stroke-width=\"1\"");
        CloseWithTooltip("circle", tooltip);
    }

    public void Path(string d, string cls, string stroke, double width = 2, string fill = "none", string? dash = null, string? tooltip = null)
    {
        Indent().Append($"<path class=\"{cls}\" d=\"{d}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{Markup.Num(width)}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"");
        if (dash is not null) _sb.Append($" stroke-dasharray=\"{dash}\"");
        CloseWithTooltip("path", tooltip);
    }

    public void Text(double x, double y, string text, string cls, string anchor = "start", double size = 12, double? rotate = null, bool bold = false, string fill = "#222222")
    {
        Indent().Append($"<text class=\"{cls}\" x=\"{Markup.Num(x)}\" y=\"{Markup.Num(y)}\" text-anchor=\"{anchor}\" font-size=\"{Markup.Num(size)}\" fill=\"{fill}\"");
        if (bold) _sb.Append(" font-weight=\"bold\"");
        if (rotate is double angle) _sb.Append($" transform=\"rotate({Markup.Num(angle)} {Markup.Num(x)} {Markup.Num(y)})\"");
        _sb.Append('>').Append(Markup.Escape(text)).Append("</text>\n");
    }

    private void CloseWithTooltip(string element, string? tooltip)
    {
        if (string.IsNullOrEmpty(tooltip)) _sb.Append("/>\n");
        else _sb.Append("><title>").Append(Markup.Escape(tooltip)).Append("</title></").Append(element).Append(">\n");
    }

    public string Finish()
    {
        if (_depth != 1) throw new InvalidOperationException("Unbalanced SVG groups.");
        _sb.Append("</svg>\n");
        return _sb.ToString();
    }

    /// <summary>SVG path data "M x y L x y …" through the points.</summary>
    public static string Polyline(IEnumerable<(double X, double Y)> points)
    {
        var sb = new StringBuilder();
        var first = true;
        foreach (var (x, y) in points)
        {
            sb.Append(first ? "M" : " L").Append(Markup.Num(x)).Append(' ').Append(Markup.Num(y));
            first = false;
        }
        return sb.ToString();
    }
}

/// <summary>A linear axis scale with "nice" round tick values (1, 2 or 5 × 10ⁿ steps).</summary>
internal sealed class LinearScale
{
    private LinearScale(double min, double max, double pixelMin, double pixelMax, double[] ticks, int decimals)
    {
        Min = min;
        Max = max;
        PixelMin = pixelMin;
        PixelMax = pixelMax;
        Ticks = ticks;
        Decimals = decimals;
    }

    public double Min { get; }
    public double Max { get; }
    public double PixelMin { get; }
    public double PixelMax { get; }
    public double[] Ticks { get; }
    public int Decimals { get; }

    public double Map(double value) => PixelMin + (value - Min) / (Max - Min) * (PixelMax - PixelMin);

    public string Label(double tick) => Markup.Value(tick, Decimals);

    /// <summary>A scale covering [min, max] (widened to round ticks) onto [pixelMin, pixelMax].</summary>
    public static LinearScale Nice(double min, double max, double pixelMin, double pixelMax, int targetTicks = 5, double minStep = 0)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) throw new ArgumentException("Axis limits must be finite.");
        if (max < min) (min, max) = (max, min);
        if (max - min <= 1e-12 * Math.Max(1.0, Math.Abs(min)))
        {
            var pad = min == 0 ? 1.0 : Math.Abs(min) * 0.1;
            min -= pad;
            max += pad;
        }
        var step = Math.Max(minStep, NiceNumber(NiceNumber(max - min, false) / Math.Max(1, targetTicks - 1), true));
        var lo = Math.Floor(min / step + 1e-9) * step;
        var hi = Math.Ceiling(max / step - 1e-9) * step;
        var count = (int)Math.Round((hi - lo) / step) + 1;
        var ticks = Enumerable.Range(0, count).Select(i => lo + i * step).Select(t => Math.Abs(t) < step * 1e-9 ? 0 : t).ToArray();
        var decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return new LinearScale(lo, hi, pixelMin, pixelMax, ticks, decimals);
    }

    private static double NiceNumber(double x, bool round)
    {
        var exponent = Math.Floor(Math.Log10(x));
        var fraction = x / Math.Pow(10, exponent);
        double nice = round
            ? fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
            : fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * Math.Pow(10, exponent);
    }
}
