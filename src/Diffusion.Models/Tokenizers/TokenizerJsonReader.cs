using System.Text;
using System.Text.Json;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Parses a Hugging Face <c>tokenizer.json</c> into a <see cref="Tokenizer"/>. Every component and key is checked:
/// anything unknown or unsupported throws <see cref="TokenizerFormatException"/> naming it.
/// </summary>
internal static class TokenizerJsonReader
{
    private static readonly string[] ByteLevelKeys = ["type", "add_prefix_space", "trim_offsets", "use_regex"];

    /// <summary>Parses the UTF-8 JSON text of a <c>tokenizer.json</c>.</summary>
    /// <param name="utf8Json">The file content.</param>
    /// <param name="source">The file name for error messages.</param>
    /// <returns>The tokenizer.</returns>
    public static Tokenizer Read(byte[] utf8Json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{source} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            const string Top = "tokenizer.json";
            JsonFields.RequireKnownKeys(
                root, Top,
                "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
            if (JsonFields.Optional(root, "truncation") is not null)
                throw new TokenizerFormatException($"{Top}: 'truncation' is set, but truncation is not supported (it must be null).");
            if (JsonFields.Optional(root, "padding") is not null)
                throw new TokenizerFormatException($"{Top}: 'padding' is set, but padding is not supported (it must be null).");

            var addedTokens = JsonFields.Optional(root, "added_tokens") is { } added ? ReadAddedTokens(added) : [];
            var normalizer = JsonFields.Optional(root, "normalizer") is { } n ? ReadNormalizer(n, "normalizer") : null;
            var preTokenizer = JsonFields.Optional(root, "pre_tokenizer") is { } p ? ReadPreTokenizer(p, "pre_tokenizer") : null;
            var postProcessor = JsonFields.Optional(root, "post_processor") is { } pp ? ReadPostProcessor(pp, "post_processor") : null;
            var decoder = JsonFields.Optional(root, "decoder") is { } d ? ReadDecoder(d, "decoder") : null;
            var model = ReadModel(JsonFields.Required(root, "model", Top));
            return new Tokenizer(model, addedTokens, normalizer, preTokenizer, postProcessor, decoder);
        }
    }

    private static string TypeOf(JsonElement element, string component)
    {
        JsonFields.RequireObject(element, component);
        return JsonFields.String(element, "type", component);
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement array)
    {
        var tokens = new List<AddedToken>();
        int index = 0;
        foreach (var item in JsonFields.Items(array, "added_tokens"))
        {
            string component = $"added_tokens[{index++}]";
            JsonFields.RequireKnownKeys(item, component, "id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
            bool special = JsonFields.Bool(item, "special", false, component);
            tokens.Add(new AddedToken(
                JsonFields.Id(item, "id", component),
                JsonFields.String(item, "content", component),
                special,
                Normalized: JsonFields.Bool(item, "normalized", !special, component),
                LStrip: JsonFields.Bool(item, "lstrip", false, component),
                RStrip: JsonFields.Bool(item, "rstrip", false, component),
                SingleWord: JsonFields.Bool(item, "single_word", false, component)));
        }
        return tokens;
    }

    private static INormalizer ReadNormalizer(JsonElement element, string path)
    {
        string type = TypeOf(element, path);
        string component = $"{path} {type}";
        switch (type)
        {
            case "NFC":
            case "NFD":
            case "NFKC":
            case "NFKD":
                JsonFields.RequireKnownKeys(element, component, "type");
                return new UnicodeFormNormalizer(type switch
                {
                    "NFC" => NormalizationForm.FormC,
                    "NFD" => NormalizationForm.FormD,
                    "NFKC" => NormalizationForm.FormKC,
                    _ => NormalizationForm.FormKD,
                });
            case "Sequence":
                JsonFields.RequireKnownKeys(element, component, "type", "normalizers");
                return new SequenceNormalizer(ReadList(element, "normalizers", component, ReadNormalizer));
            default:
                throw new TokenizerFormatException(
                    $"{path}: normalizer type '{type}' is not supported (supported: NFC, NFD, NFKC, NFKD, Sequence).");
        }
    }

    private static IPreTokenizer ReadPreTokenizer(JsonElement element, string path)
    {
        string type = TypeOf(element, path);
        string component = $"{path} {type}";
        switch (type)
        {
            case "ByteLevel":
                JsonFields.RequireKnownKeys(element, component, ByteLevelKeys);
                JsonFields.Bool(element, "trim_offsets", true, component);
                return new ByteLevelPreTokenizer(
                    JsonFields.Bool(element, "add_prefix_space", true, component),
                    JsonFields.Bool(element, "use_regex", true, component));
            case "Split":
                JsonFields.RequireKnownKeys(element, component, "type", "pattern", "behavior", "invert");
                return new SplitPreTokenizer(
                    ReadSplitPattern(JsonFields.Required(element, "pattern", component), component),
                    ReadSplitBehavior(JsonFields.String(element, "behavior", component), component),
                    JsonFields.Bool(element, "invert", false, component));
            case "Sequence":
                JsonFields.RequireKnownKeys(element, component, "type", "pretokenizers");
                return new SequencePreTokenizer(ReadList(element, "pretokenizers", component, ReadPreTokenizer));
            default:
                throw new TokenizerFormatException(
                    $"{path}: pre-tokenizer type '{type}' is not supported (supported: ByteLevel, Split, Sequence).");
        }
    }

    private static ISplitPattern ReadSplitPattern(JsonElement element, string component)
    {
        JsonFields.RequireKnownKeys(element, component + " pattern", "Regex", "String");
        if (element.TryGetProperty("Regex", out var regex))
        {
            if (element.TryGetProperty("String", out _))
                throw new TokenizerFormatException($"{component}: pattern has both 'Regex' and 'String'.");
            string pattern = JsonFields.AsString(regex, $"{component}: pattern Regex");
            try
            {
                return new RegexSplitPattern(pattern);
            }
            catch (ArgumentException e)
            {
                throw new TokenizerFormatException(
                    $"{component}: pattern Regex '{pattern}' is not supported by the .NET regex engine: {e.Message}", e);
            }
        }
        if (element.TryGetProperty("String", out var literal))
            return new LiteralSplitPattern(JsonFields.AsString(literal, $"{component}: pattern String"));
        throw new TokenizerFormatException($"{component}: pattern must have a 'Regex' or a 'String' key.");
    }

    private static SplitBehavior ReadSplitBehavior(string behavior, string component) => behavior switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new TokenizerFormatException(
            $"{component}: split behavior '{behavior}' is not supported " +
            "(supported: Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)."),
    };

    private static IPostProcessor ReadPostProcessor(JsonElement element, string path)
    {
        string type = TypeOf(element, path);
        string component = $"{path} {type}";
        switch (type)
        {
            case "ByteLevel":
                JsonFields.RequireKnownKeys(element, component, ByteLevelKeys);
                ValidateByteLevelFlags(element, component);
                return new ByteLevelPostProcessor();
            case "TemplateProcessing":
                return ReadTemplate(element, component);
            case "Sequence":
                JsonFields.RequireKnownKeys(element, component, "type", "processors");
                return new SequencePostProcessor(ReadList(element, "processors", component, ReadPostProcessor));
            default:
                throw new TokenizerFormatException(
                    $"{path}: post-processor type '{type}' is not supported (supported: ByteLevel, TemplateProcessing, Sequence).");
        }
    }

    private static TemplatePostProcessor ReadTemplate(JsonElement element, string component)
    {
        JsonFields.RequireKnownKeys(element, component, "type", "single", "pair", "special_tokens");
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (JsonFields.Optional(element, "special_tokens") is { } map)
        {
            JsonFields.RequireObject(map, component + " special_tokens");
            foreach (var entry in map.EnumerateObject())
            {
                string what = $"{component} special_tokens['{entry.Name}']";
                JsonFields.RequireKnownKeys(entry.Value, what, "id", "ids", "tokens");
                var ids = JsonFields.Items(JsonFields.Required(entry.Value, "ids", what), what + " ids")
                    .Select(v => JsonFields.AsId(v, what + " ids[]")).ToArray();
                var tokens = JsonFields.Items(JsonFields.Required(entry.Value, "tokens", what), what + " tokens")
                    .Select(v => JsonFields.AsString(v, what + " tokens[]")).ToArray();
                if (ids.Length != tokens.Length)
                    throw new TokenizerFormatException($"{what}: 'ids' and 'tokens' have different lengths.");
                specials[entry.Name] = ids;
            }
        }

        var single = ReadTemplatePieces(JsonFields.Required(element, "single", component), component + " single", specials, allowB: false);
        if (JsonFields.Optional(element, "pair") is { } pair)
            ReadTemplatePieces(pair, component + " pair", specials, allowB: true);

        var before = new List<int>();
        var after = new List<int>();
        bool seenSequence = false;
        foreach (var (sequenceId, ids) in single)
        {
            if (sequenceId is not null)
            {
                if (seenSequence) throw new TokenizerFormatException($"{component} single: sequence 'A' appears more than once.");
                seenSequence = true;
                continue;
            }
            (seenSequence ? after : before).AddRange(ids!);
        }
        if (!seenSequence) throw new TokenizerFormatException($"{component} single: the template has no sequence 'A'.");
        return new TemplatePostProcessor(before, after);
    }

    /// <summary>Reads template pieces: each is a sequence reference (its id) or a special token (its ids).</summary>
    private static List<(string? SequenceId, int[]? Ids)> ReadTemplatePieces(
        JsonElement array, string component, Dictionary<string, int[]> specials, bool allowB)
    {
        var pieces = new List<(string?, int[]?)>();
        foreach (var item in JsonFields.Items(array, component))
        {
            JsonFields.RequireKnownKeys(item, component + " item", "SpecialToken", "Sequence");
            if (item.TryGetProperty("Sequence", out var sequence))
            {
                JsonFields.RequireKnownKeys(sequence, component + " Sequence", "id", "type_id");
                string id = JsonFields.String(sequence, "id", component + " Sequence");
                if (id != "A" && !(allowB && id == "B"))
                    throw new TokenizerFormatException($"{component}: sequence id '{id}' is not valid here.");
                pieces.Add((id, null));
            }
            else if (item.TryGetProperty("SpecialToken", out var special))
            {
                JsonFields.RequireKnownKeys(special, component + " SpecialToken", "id", "type_id");
                string id = JsonFields.String(special, "id", component + " SpecialToken");
                if (!specials.TryGetValue(id, out var ids))
                    throw new TokenizerFormatException($"{component}: special token '{id}' is not listed in special_tokens.");
                pieces.Add((null, ids));
            }
            else
            {
                throw new TokenizerFormatException($"{component}: each item must be a 'Sequence' or a 'SpecialToken'.");
            }
        }
        return pieces;
    }

    private static IDecoder ReadDecoder(JsonElement element, string path)
    {
        string type = TypeOf(element, path);
        string component = $"{path} {type}";
        switch (type)
        {
            case "ByteLevel":
                JsonFields.RequireKnownKeys(element, component, ByteLevelKeys);
                ValidateByteLevelFlags(element, component);
                return new ByteLevelDecoder();
            case "Sequence":
                JsonFields.RequireKnownKeys(element, component, "type", "decoders");
                return new SequenceDecoder(ReadList(element, "decoders", component, ReadDecoder));
            default:
                throw new TokenizerFormatException(
                    $"{path}: decoder type '{type}' is not supported (supported: ByteLevel, Sequence).");
        }
    }

    private static void ValidateByteLevelFlags(JsonElement element, string component)
    {
        JsonFields.Bool(element, "add_prefix_space", true, component);
        JsonFields.Bool(element, "trim_offsets", true, component);
        JsonFields.Bool(element, "use_regex", true, component);
    }

    private static BpeModel ReadModel(JsonElement element)
    {
        JsonFields.RequireObject(element, "model");
        string? type = JsonFields.OptionalString(element, "type", "model");
        if (type is null && !element.TryGetProperty("merges", out _))
            throw new TokenizerFormatException("model: no 'type' key and no 'merges'; only BPE models are supported.");
        if (type is not null && type != "BPE")
            throw new TokenizerFormatException($"model: type '{type}' is not supported (supported: BPE).");

        const string Component = "model BPE";
        JsonFields.RequireKnownKeys(
            element, Component,
            "type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
            "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges");

        if (JsonFields.Optional(element, "dropout") is { } dropout
            && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0.0))
            throw new TokenizerFormatException($"{Component}: dropout {dropout.GetRawText()} is not supported (only null or 0).");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (JsonFields.OptionalString(element, affix, Component) is { Length: > 0 } value)
                throw new TokenizerFormatException($"{Component}: {affix} '{value}' is not supported (only null or empty).");
        }

        var vocabElement = JsonFields.Required(element, "vocab", Component);
        JsonFields.RequireObject(vocabElement, Component + " vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
            vocab[entry.Name] = JsonFields.AsId(entry.Value, $"{Component} vocab['{entry.Name}']");

        var merges = new List<(string, string)>();
        int rank = 0;
        foreach (var merge in JsonFields.Items(JsonFields.Required(element, "merges", Component), Component + " merges"))
        {
            string what = $"{Component} merges[{rank++}]";
            if (merge.ValueKind == JsonValueKind.String)
            {
                merges.Add(VocabMergesReader.ParseMergeLine(merge.GetString()!, what));
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                merges.Add((JsonFields.AsString(merge[0], what + "[0]"), JsonFields.AsString(merge[1], what + "[1]")));
            }
            else
            {
                throw new TokenizerFormatException($"{what} must be a \"left right\" string or a [left, right] pair.");
            }
        }

        return new BpeModel(
            vocab,
            merges,
            JsonFields.OptionalString(element, "unk_token", Component),
            JsonFields.Bool(element, "fuse_unk", false, Component),
            JsonFields.Bool(element, "byte_fallback", false, Component),
            JsonFields.Bool(element, "ignore_merges", false, Component));
    }

    private static List<T> ReadList<T>(JsonElement element, string key, string component, Func<JsonElement, string, T> read)
    {
        var list = new List<T>();
        int index = 0;
        foreach (var item in JsonFields.Items(JsonFields.Required(element, key, component), $"{component} {key}"))
            list.Add(read(item, $"{component} {key}[{index++}]"));
        return list;
    }
}
