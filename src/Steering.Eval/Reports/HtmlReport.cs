using System.Text;

namespace DiffusionSteering.Steering.Eval.Reports;

/// <summary>A prompt and what each method generated from it (one row of a side-by-side comparison).</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Outputs">One generation per method, in the order of the method names.</param>
public sealed record GenerationExample(string Prompt, IReadOnlyList<string> Outputs)
{
    /// <summary>Optional note (scores, seed).</summary>
    public string? Note { get; init; }
}

/// <summary>
/// Assembles a static, self-contained HTML report from sections: headings, paragraphs, tables (<see cref="ReportTable"/>),
/// SVG figures (checked to be well-formed, static and free of external references) and example generations side by side.
/// Everything is escaped; the page has inline CSS only, no scripts and no network fetches.
/// </summary>
public sealed class HtmlReport
{
    private readonly StringBuilder _body = new();
    private bool _inSection;

    /// <summary>Starts a report.</summary>
    /// <param name="title">Page title and top heading.</param>
    /// <param name="subtitle">Optional line under the title (e.g. model, date, settings).</param>
    public HtmlReport(string title, string? subtitle = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title;
        _body.Append("<h1>").Append(Markup.Escape(title)).Append("</h1>\n");
        if (!string.IsNullOrWhiteSpace(subtitle)) _body.Append("<p class=\"meta\">").Append(Markup.Escape(subtitle)).Append("</p>\n");
    }

    /// <summary>The title.</summary>
    public string Title { get; }

    /// <summary>Starts a new section (closing the previous one) with an &lt;h2&gt; heading.</summary>
    public HtmlReport Section(string heading)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(heading);
        CloseSection();
        _body.Append("<section>\n<h2>").Append(Markup.Escape(heading)).Append("</h2>\n");
        _inSection = true;
        return this;
    }

    /// <summary>Adds an &lt;h3&gt; subheading.</summary>
    public HtmlReport Subheading(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        _body.Append("<h3>").Append(Markup.Escape(text)).Append("</h3>\n");
        return this;
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    public HtmlReport Paragraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _body.Append("<p>").Append(Markup.Escape(text)).Append("</p>\n");
        return this;
    }

    /// <summary>Adds a table.</summary>
    public HtmlReport Table(ReportTable table, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        _body.Append(table.ToHtml(caption));
        return this;
    }

    /// <summary>Adds an SVG figure (it must parse as XML with an &lt;svg&gt; root and reference nothing external).</summary>
    public HtmlReport Figure(string svg, string? caption = null)
    {
        _body.Append(FeatureDashboard.Figure(svg, caption));
        return this;
    }

    /// <summary>Adds several SVG figures in a row (wrapping on narrow screens).</summary>
    public HtmlReport Figures(IReadOnlyList<string> svgs, IReadOnlyList<string?>? captions = null)
    {
        ArgumentNullException.ThrowIfNull(svgs);
        if (svgs.Count == 0) throw new ArgumentException("Give at least one figure.", nameof(svgs));
        if (captions is not null && captions.Count != svgs.Count)
            throw new ArgumentException($"Length mismatch: {svgs.Count} figures but {captions.Count} captions.", nameof(captions));
        _body.Append("<div class=\"columns\">\n");
        for (var i = 0; i < svgs.Count; i++) _body.Append("<div>\n").Append(FeatureDashboard.Figure(svgs[i], captions?[i])).Append("</div>\n");
        _body.Append("</div>\n");
        return this;
    }

    /// <summary>
    /// Adds example generations side by side: for each example the prompt, then one column per method with its output.
    /// </summary>
    /// <param name="methods">Column headings (at least one).</param>
    /// <param name="examples">Examples, each with one output per method.</param>
    public HtmlReport Generations(IReadOnlyList<string> methods, IReadOnlyList<GenerationExample> examples)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(examples);
        if (methods.Count == 0) throw new ArgumentException("Name at least one method.", nameof(methods));
        if (examples.Count == 0) throw new ArgumentException("Give at least one example.", nameof(examples));
        for (var i = 0; i < examples.Count; i++)
        {
            var e = examples[i] ?? throw new ArgumentException($"Example {i} is null.", nameof(examples));
            if (e.Outputs is null || e.Outputs.Count != methods.Count)
                throw new ArgumentException($"Length mismatch: example {i} has {e.Outputs?.Count ?? 0} outputs for {methods.Count} methods.", nameof(examples));
        }
        _body.Append("<div class=\"generations\">\n");
        foreach (var e in examples)
        {
            _body.Append("<div class=\"prompt\">").Append(Markup.Escape(e.Prompt ?? "")).Append("</div>\n");
            if (!string.IsNullOrEmpty(e.Note)) _body.Append("<div class=\"meta\">").Append(Markup.Escape(e.Note)).Append("</div>\n");
            _body.Append($"<div class=\"grid\" style=\"grid-template-columns:repeat({methods.Count},minmax(0,1fr))\">\n");
            for (var m = 0; m < methods.Count; m++)
                _body.Append("<div><div class=\"meta\">").Append(Markup.Escape(methods[m])).Append("</div><div class=\"generation\">")
                    .Append(Markup.Escape(e.Outputs[m] ?? "")).Append("</div></div>\n");
            _body.Append("</div>\n");
        }
        _body.Append("</div>\n");
        return this;
    }

    /// <summary>The complete page.</summary>
    public string Render()
    {
        var body = new StringBuilder(_body.ToString());
        if (_inSection) body.Append("</section>\n");
        return HtmlPage.Document(Title, body.ToString());
    }

    /// <summary>Writes the page to <paramref name="path"/> (UTF-8).</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, Render(), new UTF8Encoding(false));
    }

    private void CloseSection()
    {
        if (!_inSection) return;
        _body.Append("</section>\n");
        _inSection = false;
    }
}
