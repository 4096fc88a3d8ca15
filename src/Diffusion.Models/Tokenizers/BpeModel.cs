using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>
/// A byte-pair-encoding model: splits a word into single-character symbols and repeatedly merges the adjacent
/// pair with the lowest merge rank (leftmost first on ties), exactly like Hugging Face's BPE model without dropout.
/// Results are cached per word. Thread-safe.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 100_000;
    private const int MaxCachedWordLength = 256;
    private const int StackLimit = 128;
    private const int FastCodePointLimit = 0x800;

    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _idToToken;
    private readonly Dictionary<long, MergeTarget> _merges;
    private readonly int[] _fastCodePointIds;
    private readonly Dictionary<int, int> _codePointIds = new();
    private readonly int[]? _byteFallbackIds;
    private readonly int _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private int _cacheCount; // ConcurrentDictionary.Count takes every lock, far too slow for the hot path.

    /// <summary>Builds the model.</summary>
    /// <param name="vocab">Token string to id.</param>
    /// <param name="merges">Merges in rank order (rank = index).</param>
    /// <param name="unkToken">The unknown token, or null to drop characters missing from the vocabulary.</param>
    /// <param name="fuseUnk">Whether consecutive unknown characters become one unknown token.</param>
    /// <param name="byteFallback">Whether characters missing from the vocabulary become <c>&lt;0xXX&gt;</c> byte tokens.</param>
    /// <param name="ignoreMerges">Whether a word that is itself in the vocabulary skips merging.</param>
    /// <exception cref="TokenizerFormatException">A merge or the unknown token refers to a missing token.</exception>
    public BpeModel(
        IReadOnlyDictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        string? unkToken,
        bool fuseUnk,
        bool byteFallback,
        bool ignoreMerges)
    {
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        int maxId = -1;
        foreach (var id in _vocab.Values)
        {
            if (id < 0) throw new TokenizerFormatException($"BPE model: vocabulary id {id} is negative.");
            maxId = Math.Max(maxId, id);
        }
        _idToToken = new string?[maxId + 1];
        foreach (var (token, id) in _vocab) _idToToken[id] = token;

        _fastCodePointIds = new int[FastCodePointLimit];
        Array.Fill(_fastCodePointIds, -1);
        foreach (var (token, id) in _vocab)
        {
            if (Rune.DecodeFromUtf16(token, out var rune, out int used) != OperationStatus.Done || used != token.Length) continue;
            if (rune.Value < FastCodePointLimit) _fastCodePointIds[rune.Value] = id;
            else _codePointIds[rune.Value] = id;
        }

        _merges = new Dictionary<long, MergeTarget>(merges.Count, PairKeyComparer.Instance);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!_vocab.TryGetValue(left, out int leftId))
                throw new TokenizerFormatException($"BPE model: merge #{rank} '{left} {right}' uses '{left}', which is not in the vocabulary.");
            if (!_vocab.TryGetValue(right, out int rightId))
                throw new TokenizerFormatException($"BPE model: merge #{rank} '{left} {right}' uses '{right}', which is not in the vocabulary.");
            if (!_vocab.TryGetValue(left + right, out int newId))
                throw new TokenizerFormatException($"BPE model: merge #{rank} '{left} {right}' produces '{left + right}', which is not in the vocabulary.");
            _merges[PairKey(leftId, rightId)] = new MergeTarget(rank, newId);
        }

        _unkId = -1;
        if (unkToken is not null)
        {
            if (!_vocab.TryGetValue(unkToken, out _unkId))
                throw new TokenizerFormatException($"BPE model: unk_token '{unkToken}' is not in the vocabulary.");
        }
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;

        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++)
                _byteFallbackIds[b] = _vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    /// <summary>The vocabulary (token string to id).</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>The number of merges.</summary>
    public int MergeCount => _merges.Count;

    /// <summary>The token string of <paramref name="id"/>, or null.</summary>
    /// <param name="id">A token id.</param>
    /// <returns>The token or null when the model has no such id.</returns>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>The id of <paramref name="token"/>, or null.</summary>
    /// <param name="token">A token string.</param>
    /// <returns>The id or null when the token is not in the vocabulary.</returns>
    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>Tokenizes one pre-tokenized word, appending the ids to <paramref name="output"/>.</summary>
    /// <param name="word">A word (for byte-level tokenizers: already mapped to the byte-level alphabet).</param>
    /// <param name="output">Receives the ids.</param>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }
        if (!_cache.TryGetValue(word, out var ids))
        {
            ids = TokenizeUncached(word);
            if (word.Length <= MaxCachedWordLength && Volatile.Read(ref _cacheCount) < CacheCapacity && _cache.TryAdd(word, ids))
                Interlocked.Increment(ref _cacheCount);
        }
        output.AddRange(ids);
    }

    private int[] TokenizeUncached(string word)
    {
        int capacity = _byteFallbackIds is null ? word.Length : word.Length * 3;
        int[]? rented = null;
        Span<int> symbols = capacity <= StackLimit ? stackalloc int[StackLimit] : (rented = ArrayPool<int>.Shared.Rent(capacity));
        try
        {
            int count = InitialSymbols(word, symbols);
            count = Merge(symbols[..count]);
            return symbols[..count].ToArray();
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    private int InitialSymbols(string word, Span<int> symbols)
    {
        int count = 0;
        bool previousIsUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            int id = LookupCodePoint(rune.Value);
            if (id >= 0)
            {
                symbols[count++] = id;
                previousIsUnk = false;
                continue;
            }
            if (_byteFallbackIds is not null)
            {
                int length = rune.EncodeToUtf8(utf8);
                bool all = true;
                for (int i = 0; i < length; i++) all &= _byteFallbackIds[utf8[i]] >= 0;
                if (all)
                {
                    for (int i = 0; i < length; i++) symbols[count++] = _byteFallbackIds[utf8[i]];
                    previousIsUnk = false;
                    continue;
                }
            }
            if (_unkId >= 0)
            {
                if (!(_fuseUnk && previousIsUnk)) symbols[count++] = _unkId;
                previousIsUnk = true;
            }
            // Without an unknown token, Hugging Face drops the character; so do we.
        }
        return count;
    }

    private int LookupCodePoint(int codePoint) =>
        codePoint < FastCodePointLimit
            ? _fastCodePointIds[codePoint]
            : _codePointIds.TryGetValue(codePoint, out int id) ? id : -1;

    /// <summary>Applies merges in place; returns the number of symbols left (compacted to the front).</summary>
    private int Merge(Span<int> ids)
    {
        int n = ids.Length;
        if (n < 2) return n;
        int[]? rentedLinks = null;
        long[]? rentedHeap = null;
        Span<int> links = 2 * n <= 2 * StackLimit ? stackalloc int[2 * StackLimit] : (rentedLinks = ArrayPool<int>.Shared.Rent(2 * n));
        Span<long> heap = 3 * n <= 3 * StackLimit ? stackalloc long[3 * StackLimit] : (rentedHeap = ArrayPool<long>.Shared.Rent(3 * n));
        try
        {
            var prev = links[..n];
            var next = links.Slice(n, n);
            int heapCount = 0;
            for (int i = 0; i < n; i++)
            {
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
                if (i + 1 < n && _merges.TryGetValue(PairKey(ids[i], ids[i + 1]), out var m))
                    MinHeap.Push(heap, ref heapCount, Candidate(m.Rank, i));
            }

            while (heapCount > 0)
            {
                long candidate = MinHeap.Pop(heap, ref heapCount);
                int rank = (int)(candidate >> 32);
                int pos = (int)(candidate & 0xFFFFFFFF);
                if (ids[pos] < 0) continue;
                int right = next[pos];
                if (right < 0) continue;
                if (!_merges.TryGetValue(PairKey(ids[pos], ids[right]), out var merge) || merge.Rank != rank) continue;

                ids[pos] = merge.NewId;
                ids[right] = -1;
                int after = next[right];
                next[pos] = after;
                if (after >= 0) prev[after] = pos;

                int before = prev[pos];
                if (before >= 0 && _merges.TryGetValue(PairKey(ids[before], ids[pos]), out var left))
                    MinHeap.Push(heap, ref heapCount, Candidate(left.Rank, before));
                if (after >= 0 && _merges.TryGetValue(PairKey(ids[pos], ids[after]), out var rightMerge))
                    MinHeap.Push(heap, ref heapCount, Candidate(rightMerge.Rank, pos));
            }

            int write = 0;
            for (int i = 0; i < n; i++)
                if (ids[i] >= 0) ids[write++] = ids[i];
            return write;
        }
        finally
        {
            if (rentedLinks is not null) ArrayPool<int>.Shared.Return(rentedLinks);
            if (rentedHeap is not null) ArrayPool<long>.Shared.Return(rentedHeap);
        }
    }

    private static long Candidate(int rank, int position) => ((long)rank << 32) | (uint)position;

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly record struct MergeTarget(int Rank, int NewId);
}
