using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// A byte-level BPE tokenizer compatible with Hugging Face <c>tokenizers</c>: it reads <c>tokenizer.json</c>
/// (legacy and current serialisations) or GPT-2 style <c>vocab.json</c> + <c>merges.txt</c>, and encodes and
/// decodes exactly like the Rust library for the supported components.
/// </summary>
/// <remarks>
/// <para>Pipeline of <see cref="Encode"/>: added tokens that are not <c>normalized</c> are cut out of the raw text;
/// the rest is normalized (NFC etc.), then <c>normalized</c> added tokens are cut out; the remaining text is
/// pre-tokenized into words (regex splits, byte-level mapping), each word is run through BPE (with a word cache),
/// and the post-processor may add template special tokens.</para>
/// <para>Supported components: model <c>BPE</c>; normalizers <c>NFC</c>, <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>,
/// <c>Sequence</c>; pre-tokenizers <c>ByteLevel</c>, <c>Split</c>, <c>Sequence</c>; post-processors
/// <c>ByteLevel</c>, <c>TemplateProcessing</c> (single sequences), <c>Sequence</c>; decoders <c>ByteLevel</c>,
/// <c>Sequence</c>. Anything else makes loading throw <see cref="TokenizerFormatException"/>.</para>
/// <para>Lone UTF-16 surrogates in the input are replaced by U+FFFD (as UTF-8 encoding would).</para>
/// <para>Instances are immutable apart from an internal word cache and are safe to use from several threads.</para>
/// </remarks>
public sealed class Tokenizer
{
    private readonly BpeModel _model;
    private readonly INormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly IPostProcessor? _postProcessor;
    private readonly IDecoder? _decoder;
    private readonly AddedToken[] _addedTokens;
    private readonly AddedToken[] _specialTokens;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, AddedToken> _addedByContent;
    private readonly AddedTokenMatcher _rawMatcher;
    private readonly AddedTokenMatcher _normalizedMatcher;

    internal Tokenizer(
        BpeModel model,
        IEnumerable<AddedToken> addedTokens,
        INormalizer? normalizer,
        IPreTokenizer? preTokenizer,
        IPostProcessor? postProcessor,
        IDecoder? decoder)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _postProcessor = postProcessor;
        _decoder = decoder;
        _addedTokens = addedTokens.ToArray();
        _specialTokens = _addedTokens.Where(t => t.Special).ToArray();
        _addedById = new Dictionary<int, AddedToken>();
        _addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var token in _addedTokens)
        {
            if (token.Id < 0) throw new TokenizerFormatException($"added_tokens: token '{token.Content}' has negative id {token.Id}.");
            _addedById[token.Id] = token;
            _addedByContent[token.Content] = token;
        }
        _rawMatcher = new AddedTokenMatcher(_addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedMatcher = new AddedTokenMatcher(_addedTokens.Where(t => t.Normalized)
            .Select(t => (normalizer is null ? t.Content : normalizer.Normalize(t.Content), t)));

        var distinct = new HashSet<string>(model.Vocab.Keys, StringComparer.Ordinal);
        foreach (var token in _addedTokens) distinct.Add(token.Content);
        VocabSize = distinct.Count;
    }

    /// <summary>
    /// The number of distinct tokens, added tokens included (Hugging Face's
    /// <c>get_vocab_size(with_added_tokens=True)</c>).
    /// </summary>
    public int VocabSize { get; }

    /// <summary>The number of tokens in the BPE model's own vocabulary (added tokens not in it excluded).</summary>
    public int ModelVocabSize => _model.Vocab.Count;

    /// <summary>The number of BPE merges.</summary>
    public int MergeCount => _model.MergeCount;

    /// <summary>The added tokens (special or not), in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _addedTokens;

    /// <summary>The added tokens marked special, in file order.</summary>
    public IReadOnlyList<AddedToken> SpecialTokens => _specialTokens;

    /// <summary>Loads a Hugging Face <c>tokenizer.json</c>.</summary>
    /// <param name="tokenizerJsonPath">Path of the file.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerFormatException">The file is malformed or uses an unsupported component or key.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Tokenizer FromFile(string tokenizerJsonPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        return TokenizerJsonReader.Read(File.ReadAllBytes(tokenizerJsonPath), tokenizerJsonPath);
    }

    /// <summary>Loads a tokenizer from the text of a Hugging Face <c>tokenizer.json</c>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerFormatException">The JSON is malformed or uses an unsupported component or key.</exception>
    public static Tokenizer FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return TokenizerJsonReader.Read(Encoding.UTF8.GetBytes(json), "tokenizer.json");
    }

    /// <summary>
    /// Loads a GPT-2 style byte-level BPE tokenizer from <c>vocab.json</c> (token to id) and <c>merges.txt</c>
    /// (one <c>left right</c> pair per line, an optional <c>#version</c> first line). The pipeline is: optional NFC,
    /// a regex split (GPT-2 pattern unless <paramref name="pattern"/> is given, delimiters isolated), byte-level
    /// mapping, BPE, byte-level decoding — the behaviour of the slow GPT-2 and Qwen2 tokenizers in
    /// <c>transformers</c>.
    /// </summary>
    /// <param name="vocabJsonPath">Path of <c>vocab.json</c>.</param>
    /// <param name="mergesTxtPath">Path of <c>merges.txt</c>.</param>
    /// <param name="addedTokens">Added/special tokens (e.g. from <c>tokenizer_config.json</c>), or null.</param>
    /// <param name="pattern">The pre-tokenization regex (e.g. <see cref="TokenizerPatterns.Qwen2"/>), or null for GPT-2's.</param>
    /// <param name="nfcNormalize">Whether to apply Unicode NFC normalization first (Qwen2 does).</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerFormatException">A file is malformed.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static Tokenizer FromVocabAndMerges(
        string vocabJsonPath,
        string mergesTxtPath,
        IEnumerable<AddedToken>? addedTokens = null,
        string? pattern = null,
        bool nfcNormalize = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabJsonPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesTxtPath);
        var vocab = VocabMergesReader.ReadVocab(File.ReadAllBytes(vocabJsonPath), vocabJsonPath);
        var merges = VocabMergesReader.ReadMerges(File.ReadAllLines(mergesTxtPath), mergesTxtPath);
        var model = new BpeModel(vocab, merges, unkToken: null, fuseUnk: false, byteFallback: false, ignoreMerges: false);
        IPreTokenizer preTokenizer;
        try
        {
            preTokenizer = new SequencePreTokenizer([
                new SplitPreTokenizer(new RegexSplitPattern(pattern ?? TokenizerPatterns.Gpt2), SplitBehavior.Isolated, invert: false),
                new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
            ]);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerFormatException($"Pre-tokenizer pattern '{pattern}' is not a valid regular expression: {e.Message}", e);
        }
        return new Tokenizer(
            model,
            addedTokens ?? [],
            nfcNormalize ? new UnicodeFormNormalizer(NormalizationForm.FormC) : null,
            preTokenizer,
            new ByteLevelPostProcessor(),
            new ByteLevelDecoder());
    }

    /// <summary>Encodes text to token ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether the post-processor may add special tokens (e.g. BOS).</param>
    /// <returns>The ids.</returns>
    public int[] Encode(string text, bool addSpecialTokens = true) => EncodeToList(text, addSpecialTokens).ToArray();

    /// <summary>Encodes text and returns the token strings (byte-level alphabet for BPE tokens, e.g. 'Ġ' for a space).</summary>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether the post-processor may add special tokens (e.g. BOS).</param>
    /// <returns>One string per token.</returns>
    public IReadOnlyList<string> EncodeToTokens(string text, bool addSpecialTokens = true)
    {
        var ids = EncodeToList(text, addSpecialTokens);
        var tokens = new string[ids.Count];
        for (int i = 0; i < tokens.Length; i++)
            tokens[i] = IdToToken(ids[i]) ?? throw new InvalidOperationException($"Token id {ids[i]} has no token string.");
        return tokens;
    }

    /// <summary>Decodes ids back to text.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Whether to leave out added tokens marked special.</param>
    /// <returns>The text (invalid UTF-8 byte sequences become U+FFFD).</returns>
    /// <exception cref="ArgumentException">An id is not in the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                if (skipSpecialTokens && added.Special) continue;
                tokens.Add(added.Content);
                continue;
            }
            var token = _model.IdToToken(id) ?? throw new ArgumentException($"Token id {id} is not in the vocabulary.", nameof(ids));
            if (skipSpecialTokens && _addedByContent.TryGetValue(token, out var sameContent) && sameContent.Special) continue;
            tokens.Add(token);
        }
        if (_decoder is null) return string.Join(' ', tokens);
        return string.Concat(_decoder.DecodeChain(tokens));
    }

    /// <summary>The id of a token string (added tokens first, then the model vocabulary).</summary>
    /// <param name="token">The token string, e.g. "Ġthe" or "&lt;|endoftext|&gt;".</param>
    /// <returns>The id, or null if the token is unknown.</returns>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedByContent.TryGetValue(token, out var added) ? added.Id : _model.TokenToId(token);
    }

    /// <summary>The token string of an id (added tokens first, then the model vocabulary).</summary>
    /// <param name="id">The id.</param>
    /// <returns>The token string, or null if the id is unknown.</returns>
    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var added) ? added.Content : _model.IdToToken(id);

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    /// <param name="id">The id.</param>
    /// <returns>True for special tokens.</returns>
    public bool IsSpecialToken(int id) => _addedById.TryGetValue(id, out var added) && added.Special;

    private List<int> EncodeToList(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);

        var raw = new List<(string Text, int TokenId)>();
        _rawMatcher.Split(text, raw);

        var segments = new List<(string Text, int TokenId)>(raw.Count);
        foreach (var segment in raw)
        {
            if (segment.TokenId >= 0)
            {
                segments.Add(segment);
                continue;
            }
            string normalized = _normalizer is null ? segment.Text : _normalizer.Normalize(segment.Text);
            _normalizedMatcher.Split(normalized, segments);
        }

        var ids = new List<int>(text.Length / 3 + 4);
        var words = new List<string>();
        foreach (var (segmentText, tokenId) in segments)
        {
            if (tokenId >= 0)
            {
                ids.Add(tokenId);
                continue;
            }
            if (_preTokenizer is null)
            {
                _model.Tokenize(segmentText, ids);
                continue;
            }
            words.Clear();
            _preTokenizer.PreTokenize(segmentText, words);
            foreach (var word in words) _model.Tokenize(word, ids);
        }

        return _postProcessor is null ? ids : _postProcessor.Process(ids, addSpecialTokens);
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        StringBuilder? builder = null;
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            builder ??= new StringBuilder(text);
            builder[i] = '\uFFFD';
        }
        return builder?.ToString() ?? text;
    }
}
