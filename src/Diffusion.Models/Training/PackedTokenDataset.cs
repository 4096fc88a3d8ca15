using System.Buffers.Binary;
using DiffusionSteering.Diffusion.Models.Tokenizers;

namespace DiffusionSteering.Diffusion.Models.Training;

/// <summary>
/// A token stream for language-model training: tokenised documents, each followed by an end-of-text id, concatenated
/// ("packing"), and cut into fixed-length windows. Windows cross document boundaries; the EOS ids mark them. Immutable.
/// </summary>
public sealed class PackedTokenDataset
{
    private const uint Magic = 0x4B505344; // "DSPK"
    private readonly int[] _tokens;

    /// <summary>Wraps an already packed stream (the array is copied).</summary>
    /// <exception cref="ArgumentException">The stream is empty or holds a negative id.</exception>
    public PackedTokenDataset(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("the token stream is empty", nameof(tokens));
        foreach (var t in tokens)
            if (t < 0) throw new ArgumentException($"token id {t} is negative", nameof(tokens));
        _tokens = tokens.ToArray();
        Fingerprint = ComputeFingerprint(_tokens);
    }

    private PackedTokenDataset(int[] tokens, bool _)
    {
        _tokens = tokens;
        Fingerprint = ComputeFingerprint(_tokens);
    }

    /// <summary>The packed stream.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>Number of tokens in the stream.</summary>
    public long Count => _tokens.Length;

    /// <summary>A 64-bit FNV-1a hash of the stream (a checkpoint records it so that resume refuses other data).</summary>
    public ulong Fingerprint { get; }

    /// <summary>Packs documents: the tokens of each, then <paramref name="eosTokenId"/>.</summary>
    public static PackedTokenDataset FromDocuments(IEnumerable<IReadOnlyList<int>> documents, int eosTokenId)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegative(eosTokenId);
        var stream = new List<int>();
        foreach (var doc in documents)
        {
            foreach (var id in doc)
            {
                if (id < 0) throw new ArgumentException($"token id {id} is negative", nameof(documents));
                stream.Add(id);
            }
            stream.Add(eosTokenId);
        }
        if (stream.Count == 0) throw new ArgumentException("no documents", nameof(documents));
        return new PackedTokenDataset(stream.ToArray(), true);
    }

    /// <summary>
    /// Tokenises texts (one document each, without the tokenizer's own special tokens) in parallel, in order, and
    /// packs them with <paramref name="eosTokenId"/> after each. Empty texts are skipped.
    /// </summary>
    public static PackedTokenDataset FromTexts(Tokenizer tokenizer, IEnumerable<string> texts, int eosTokenId,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        var encoded = texts
            .Where(t => !string.IsNullOrWhiteSpace(t))
            .AsParallel().AsOrdered().WithCancellation(cancellationToken)
            .Select(t => (IReadOnlyList<int>)tokenizer.Encode(t, addSpecialTokens: false));
        return FromDocuments(encoded, eosTokenId);
    }

    /// <summary>Number of windows of <paramref name="length"/> tokens starting at <paramref name="offset"/>.</summary>
    public long WindowCount(int length, int offset = 0) => Math.Max(0, (Count - offset) / length);

    /// <summary>Copies the window starting at token <paramref name="start"/> into <paramref name="destination"/>.</summary>
    public void CopyWindow(long start, Span<long> destination)
    {
        if (start < 0 || start + destination.Length > Count)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"window [{start}, {start + destination.Length}) is outside the stream of {Count} tokens");
        var source = _tokens.AsSpan((int)start, destination.Length);
        for (var i = 0; i < source.Length; i++) destination[i] = source[i];
    }

    /// <summary>Token frequencies over ids 0..<paramref name="vocabSize"/>−1.</summary>
    public long[] Counts(int vocabSize)
    {
        var counts = new long[vocabSize];
        foreach (var t in _tokens)
        {
            if (t >= vocabSize) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"token id {t} is outside the vocabulary");
            counts[t]++;
        }
        return counts;
    }

    /// <summary>
    /// The unigram baseline of the masked-diffusion loss: the cross-entropy (nats/token) of <paramref name="heldOut"/>
    /// under the add-one-smoothed token frequencies of <paramref name="train"/>. A model that ignores its context
    /// predicts each masked token with these frequencies, and its ELBO (E_t of the 1/t-weighted masked loss per token)
    /// equals exactly this cross-entropy.
    /// </summary>
    public static double UnigramCrossEntropy(PackedTokenDataset train, PackedTokenDataset heldOut, int vocabSize)
    {
        var counts = train.Counts(vocabSize);
        var total = train.Count + (double)vocabSize;
        var heldCounts = heldOut.Counts(vocabSize);
        double nll = 0;
        for (var i = 0; i < vocabSize; i++)
            if (heldCounts[i] > 0) nll -= heldCounts[i] * Math.Log((counts[i] + 1) / total);
        return nll / heldOut.Count;
    }

    /// <summary>Writes the stream (little-endian int32 after a small header) atomically.</summary>
    public void Save(string path)
    {
        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            Span<byte> header = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 1);
            BinaryPrimitives.WriteInt64LittleEndian(header[8..], Count);
            stream.Write(header);
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(_tokens.AsSpan());
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
            stream.Write(bytes);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a stream written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a packed token stream.</exception>
    public static PackedTokenDataset Load(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> header = stackalloc byte[16];
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic || BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != 1)
            throw new InvalidDataException($"{path} is not a packed token stream");
        var count = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (count <= 0 || count > int.MaxValue || stream.Length != 16 + count * 4)
            throw new InvalidDataException($"{path}: bad token count {count} for a file of {stream.Length} bytes");
        var tokens = new int[count];
        stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tokens.AsSpan()));
        return new PackedTokenDataset(tokens, true);
    }

    private static ulong ComputeFingerprint(int[] tokens)
    {
        var hash = 14695981039346656037UL;
        foreach (var t in tokens)
        {
            hash = (hash ^ (uint)t) * 1099511628211UL;
        }
        return hash ^ (ulong)tokens.Length;
    }
}
