using System.Text;
using System.Xml;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>The page shell shared by the dashboard and the report: XHTML-compatible HTML5 with inline CSS only.</summary>
internal static class HtmlPage
{
    public const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;line-height:1.45;padding:0 16px}
        h1{font-size:1.6em;margin-bottom:0.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.6em}h3{font-size:1.05em}
        .meta{color:#555;font-size:0.92em}
        table.report-table{border-collapse:collapse;margin:8px 0 16px;font-size:0.92em}
        table.report-table th,table.report-table td{border:1px solid #ccc;padding:4px 8px}
        table.report-table th{background:#f3f3f3}
        caption{caption-side:top;text-align:left;font-weight:bold;padding-bottom:4px}
        figure{margin:12px 0}figcaption{color:#555;font-size:0.9em}
        .grid{display:grid;gap:12px}
        .context{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:0.88em;white-space:pre-wrap;word-break:break-word;padding:4px 6px;border-bottom:1px solid #eee}
        .context .source{color:#777;font-family:system-ui,sans-serif;font-size:0.85em;margin-right:8px}
        .tok{border-radius:2px}.tok.max{outline:1.5px solid #b34700}
        .logits td.token{font-family:ui-monospace,Menlo,Consolas,monospace}
        .pos{color:#1a7f37}.neg{color:#b42318}
        .generation{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.88em;white-space:pre-wrap;background:#fafafa;border:1px solid #e5e5e5;padding:6px;border-radius:4px}
        .prompt{font-weight:bold;margin-top:10px}
        .columns{display:flex;flex-wrap:wrap;gap:16px}.columns > div{flex:1 1 320px;min-width:0}
        """;

    /// <summary>A complete document around <paramref name="body"/>.</summary>
    public static string Document(string title, string body)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
            .Append("<title>").Append(Markup.Escape(title)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append(body)
            .Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>Checks an SVG fragment is a well-formed document with an &lt;svg&gt; root and returns it without an XML declaration.</summary>
    public static string CheckSvg(string svg, string paramName)
    {
        ArgumentNullException.ThrowIfNull(svg, paramName);
        try
        {
            var doc = new XmlDocument { XmlResolver = null };
            using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            doc.Load(reader);
            if (doc.DocumentElement?.LocalName != "svg") throw new ArgumentException($"The root element is <{doc.DocumentElement?.LocalName}>, not <svg>.", paramName);
            if (doc.SelectSingleNode("//*[local-name()='script' or local-name()='foreignObject']") is XmlElement active)
                throw new ArgumentException($"The SVG contains a <{active.LocalName}> element; reports are static.", paramName);
            foreach (XmlAttribute attribute in doc.SelectNodes("//@*")!)
            {
                if (attribute.LocalName.StartsWith("on", StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException($"The SVG has the event handler attribute {attribute.LocalName}; reports are static.", paramName);
                var name = attribute.LocalName;
                if ((name == "href" || name == "src") && !attribute.Value.StartsWith('#'))
                    throw new ArgumentException($"The SVG references the external resource \"{attribute.Value}\"; reports must be self-contained.", paramName);
            }
            return doc.DocumentElement.OuterXml;
        }
        catch (XmlException e)
        {
            throw new ArgumentException($"The SVG is not well-formed XML: {e.Message}", paramName, e);
        }
    }
}
