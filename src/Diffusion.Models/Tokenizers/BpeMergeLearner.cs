namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// Learns BPE merges from word counts with incrementally maintained pair counts: each step merges the most
/// frequent adjacent pair (ties: the smallest (left id, right id)), updating only the words that contain it.
/// </summary>
internal sealed class BpeMergeLearner
{
    private readonly List<string> _tokens;
    private readonly Dictionary<string, int> _tokenIds;
    private readonly int[][] _words;
    private readonly int[] _wordLengths;
    private readonly long[] _wordCounts;
    private readonly Dictionary<long, long> _pairCounts = new(PairKeyComparer.Instance);
    private readonly Dictionary<long, List<int>> _pairWords = new(PairKeyComparer.Instance);
    private readonly PriorityQueue<long, (long Count, long Pair)> _queue = new(CountThenPairComparer.Instance);

    /// <summary>Prepares the learner.</summary>
    /// <param name="initialTokens">Tokens with ids 0.. (special tokens, then the alphabet).</param>
    /// <param name="wordCounts">Each word (a string of alphabet characters) and its count.</param>
    public BpeMergeLearner(IReadOnlyList<string> initialTokens, IReadOnlyDictionary<string, long> wordCounts)
    {
        _tokens = new List<string>(initialTokens);
        _tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Count; i++) _tokenIds.TryAdd(_tokens[i], i);

        _words = new int[wordCounts.Count][];
        _wordLengths = new int[wordCounts.Count];
        _wordCounts = new long[wordCounts.Count];
        int w = 0;
        foreach (var (word, count) in wordCounts)
        {
            var symbols = new int[word.Length];
            for (int i = 0; i < word.Length; i++)
            {
                if (!_tokenIds.TryGetValue(word[i].ToString(), out symbols[i]))
                    throw new InvalidOperationException($"Character U+{(int)word[i]:X4} is not in the initial alphabet.");
            }
            _words[w] = symbols;
            _wordLengths[w] = symbols.Length;
            _wordCounts[w] = count;
            for (int i = 0; i + 1 < symbols.Length; i++)
            {
                long pair = PairKey(symbols[i], symbols[i + 1]);
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _) += count;
                AddWord(pair, w);
            }
            w++;
        }
        foreach (var (pair, count) in _pairCounts) _queue.Enqueue(pair, (count, pair));
    }

    /// <summary>All tokens by id: the initial tokens followed by the tokens the merges created.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Learns merges until the vocabulary has <paramref name="vocabSize"/> tokens or no pair is frequent enough.</summary>
    /// <param name="vocabSize">The target number of tokens.</param>
    /// <param name="minFrequency">Pairs seen fewer times than this are never merged.</param>
    /// <param name="cancellationToken">Cancels training.</param>
    /// <returns>The merges in order.</returns>
    public List<(string Left, string Right)> Learn(int vocabSize, long minFrequency, CancellationToken cancellationToken)
    {
        var merges = new List<(string, string)>();
        var stamps = new int[_words.Length];
        Array.Fill(stamps, -1);
        var touchedPairs = new HashSet<long>();

        while (_tokens.Count < vocabSize && _queue.TryDequeue(out long pair, out var queued))
        {
            cancellationToken.ThrowIfCancellationRequested();
            long current = _pairCounts.GetValueOrDefault(pair);
            if (current != queued.Count)
            {
                if (current > 0) _queue.Enqueue(pair, (current, pair));
                continue;
            }
            if (current < minFrequency) break;

            int left = (int)(pair >> 32);
            int right = (int)(pair & 0xFFFFFFFF);
            string merged = _tokens[left] + _tokens[right];
            if (!_tokenIds.TryGetValue(merged, out int newId))
            {
                newId = _tokens.Count;
                _tokens.Add(merged);
                _tokenIds.Add(merged, newId);
            }
            int mergeIndex = merges.Count;
            merges.Add((_tokens[left], _tokens[right]));

            touchedPairs.Clear();
            foreach (int w in _pairWords[pair])
            {
                if (stamps[w] == mergeIndex) continue;
                stamps[w] = mergeIndex;
                MergeInWord(w, left, right, newId, touchedPairs);
            }
            _pairWords.Remove(pair);
            _pairCounts.Remove(pair);
            foreach (long touched in touchedPairs)
            {
                if (_pairCounts.TryGetValue(touched, out long count) && count > 0) _queue.Enqueue(touched, (count, touched));
            }
        }
        return merges;
    }

    private void MergeInWord(int w, int left, int right, int newId, HashSet<long> newPairs)
    {
        var symbols = _words[w];
        int length = _wordLengths[w];
        bool found = false;
        for (int i = 0; i + 1 < length; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                found = true;
                break;
            }
        }
        if (!found) return;

        long count = _wordCounts[w];
        for (int i = 0; i + 1 < length; i++) Decrement(PairKey(symbols[i], symbols[i + 1]), count);

        int write = 0;
        for (int read = 0; read < length; read++)
        {
            if (read + 1 < length && symbols[read] == left && symbols[read + 1] == right)
            {
                symbols[write++] = newId;
                read++;
            }
            else
            {
                symbols[write++] = symbols[read];
            }
        }
        _wordLengths[w] = write;

        for (int i = 0; i + 1 < write; i++)
        {
            long p = PairKey(symbols[i], symbols[i + 1]);
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, p, out _) += count;
            if (symbols[i] == newId || symbols[i + 1] == newId)
            {
                AddWord(p, w);
                newPairs.Add(p);
            }
        }
    }

    private void Decrement(long pair, long count)
    {
        ref long value = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_pairCounts, pair);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref value)) return;
        value -= count;
        if (value <= 0) _pairCounts.Remove(pair);
    }

    private void AddWord(long pair, int w)
    {
        ref var list = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_pairWords, pair, out _);
        list ??= new List<int>(2);
        if (list.Count == 0 || list[^1] != w) list.Add(w);
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Orders queue entries: higher count first, then the smaller pair.</summary>
    private sealed class CountThenPairComparer : IComparer<(long Count, long Pair)>
    {
        public static readonly CountThenPairComparer Instance = new();

        public int Compare((long Count, long Pair) x, (long Count, long Pair) y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair);
    }
}
