using System.Globalization;
using System.Xml.Linq;

namespace DiffusionSteering.Steering.Eval.Tests.Reports;

/// <summary>Parses SVG/HTML output with System.Xml and queries it by element name and class.</summary>
internal static class Xml
{
    public static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Parses an SVG document and checks the root: &lt;svg&gt; with numeric width, height and a matching viewBox.</summary>
    public static XElement ParseSvg(string svg, double width, double height)
    {
        var doc = XDocument.Parse(svg);
        var root = doc.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        Assert.Equal(width, double.Parse((string)root.Attribute("width")!, CultureInfo.InvariantCulture));
        Assert.Equal(height, double.Parse((string)root.Attribute("height")!, CultureInfo.InvariantCulture));
        Assert.Equal($"0 0 {width.ToString(CultureInfo.InvariantCulture)} {height.ToString(CultureInfo.InvariantCulture)}", (string)root.Attribute("viewBox")!);
        // self-contained: no scripts, no external references, no CSS imports
        Assert.DoesNotContain(root.DescendantsAndSelf(), e => e.Name.LocalName is "script" or "foreignObject" or "image" or "style");
        Assert.DoesNotContain(root.DescendantsAndSelf().Attributes(), a => a.Name.LocalName is "href" or "src");
        return root;
    }

    /// <summary>Elements named <paramref name="name"/> whose class list contains <paramref name="cls"/>.</summary>
    public static List<XElement> ByClass(XElement root, string name, string cls) =>
        root.Descendants().Where(e => e.Name.LocalName == name && ((string?)e.Attribute("class") ?? "").Split(' ').Contains(cls)).ToList();

    /// <summary>Texts of &lt;text&gt; elements with a class.</summary>
    public static List<string> Texts(XElement root, string cls) => ByClass(root, "text", cls).Select(e => e.Value).ToList();

    public static double Num(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);
}
