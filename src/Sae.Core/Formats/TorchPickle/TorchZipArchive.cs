using System.IO.Compression;
using System.Text;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// The zip container of a <c>torch.save</c> file (torch ≥ 1.6): one top folder <c>&lt;archive&gt;/</c> holding
/// <c>data.pkl</c>, <c>data/&lt;key&gt;</c> storage records, <c>version</c>, and from torch 2.1 <c>byteorder</c> and
/// <c>.data/serialization_id</c>. Reads records with size checks so corrupt headers cannot force huge allocations.
/// </summary>
internal sealed class TorchZipArchive : IDisposable
{
    private const string PickleRecord = "data.pkl";

    // A pickle written by torch < 1.6 (legacy format) starts with PROTO 2 and the LONG1 magic 0x1950a86a20f9469cfc6c.
    private static readonly byte[] LegacyMagicPrefix = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46];

    private readonly ZipArchive _zip;
    private readonly MemoryStream? _ownedCopy;
    private readonly long _archiveLength;
    private readonly string _source;

    private TorchZipArchive(ZipArchive zip, MemoryStream? ownedCopy, long archiveLength, string source, string prefix)
    {
        _zip = zip;
        _ownedCopy = ownedCopy;
        _archiveLength = archiveLength;
        _source = source;
        Prefix = prefix;
    }

    /// <summary>The top folder of every record, with its trailing slash (e.g. <c>"ae/"</c>).</summary>
    internal string Prefix { get; }

    /// <summary>The full name of the pickle record (e.g. <c>"ae/data.pkl"</c>).</summary>
    internal string PickleName => Prefix + PickleRecord;

    /// <summary>Opens <paramref name="stream"/> (left open) as a torch zip archive.</summary>
    /// <param name="stream">The archive, from its current position to its end.</param>
    /// <param name="source">A name for the input, used in error messages.</param>
    /// <exception cref="TorchCheckpointFormatException">Not a zip archive, a legacy torch file, or no <c>data.pkl</c>.</exception>
    internal static TorchZipArchive Open(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream must be readable.", nameof(stream));

        MemoryStream? copy = null;
        if (!stream.CanSeek)
        {
            copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        long start = stream.Position;
        ZipArchive zip;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            entries = zip.Entries;
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or EndOfStreamException)
        {
            copy?.Dispose();
            throw new TorchCheckpointFormatException(DescribeNonZip(stream, start, source), ex);
        }

        try
        {
            string prefix = FindPrefix(entries, source);
            return new TorchZipArchive(zip, copy, stream.Length - start, source, prefix);
        }
        catch
        {
            zip.Dispose();
            copy?.Dispose();
            throw;
        }
    }

    /// <summary>Rejects archives whose <c>byteorder</c> record says anything but <c>little</c> (absent means little).</summary>
    internal void CheckByteOrder()
    {
        byte[]? record = ReadOwnRecord("byteorder");
        if (record is null) return;
        string order = Encoding.ASCII.GetString(record).Trim();
        if (order == "little") return;
        if (order == "big")
        {
            throw new TorchCheckpointFormatException(
                $"{_source}: the archive was written on a big-endian machine ({Prefix}byteorder = 'big'); only " +
                "little-endian torch archives are supported. Re-save it on a little-endian machine.");
        }
        throw new TorchCheckpointFormatException(
            $"{_source}: {Prefix}byteorder is '{PickleMachine.Printable(order)}', expected 'little' or 'big'.");
    }

    /// <summary>Reads <c>&lt;archive&gt;/data.pkl</c>.</summary>
    internal byte[] ReadPickle() =>
        ReadOwnRecord(PickleRecord)
        ?? throw new TorchCheckpointFormatException($"{_source}: record '{PickleName}' is missing.");

    /// <summary>Reads the record <c>&lt;archive&gt;/<paramref name="relativeName"/></c>, or returns null if absent.</summary>
    /// <param name="relativeName">The name below the top folder, e.g. <c>"data/3"</c>.</param>
    /// <param name="expectedLength">When given, the exact length the record must have.</param>
    /// <exception cref="TorchCheckpointFormatException">The record has the wrong length or is truncated/corrupt
    /// (the message does not name the archive; the caller adds that context).</exception>
    internal byte[]? ReadRecord(string relativeName, long? expectedLength)
    {
        string name = Prefix + relativeName;
        ZipArchiveEntry? entry;
        try
        {
            entry = _zip.GetEntry(name);
        }
        catch (InvalidDataException ex)
        {
            throw new TorchCheckpointFormatException($"the zip directory is corrupt.", ex);
        }
        if (entry is null) return null;

        if (expectedLength is { } expected && entry.Length != expected)
        {
            throw new TorchCheckpointFormatException(
                $"record '{name}' holds {entry.Length} bytes but the pickle declares {expected} " +
                "(element count × element size).");
        }
        if (entry.Length > Array.MaxLength)
        {
            throw new TorchCheckpointFormatException(
                $"record '{name}' is {entry.Length} bytes, larger than one .NET array can hold.");
        }
        if (entry.CompressedLength > _archiveLength || entry.Length > entry.CompressedLength * 1100L + 1024)
        {
            throw new TorchCheckpointFormatException(
                $"record '{name}' claims {entry.Length} bytes ({entry.CompressedLength} stored) in a " +
                $"{_archiveLength}-byte archive; the zip is corrupt or truncated.");
        }

        var buffer = new byte[entry.Length];
        try
        {
            using Stream data = entry.Open();
            data.ReadExactly(buffer);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or NotSupportedException)
        {
            throw new TorchCheckpointFormatException($"record '{name}' is truncated or corrupt: {ex.Message}", ex);
        }
        return buffer;
    }

    /// <summary><see cref="ReadRecord"/> for the archive's own records, with the source named in errors.</summary>
    private byte[]? ReadOwnRecord(string relativeName)
    {
        try
        {
            return ReadRecord(relativeName, expectedLength: null);
        }
        catch (TorchCheckpointFormatException ex)
        {
            throw new TorchCheckpointFormatException($"{_source}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _zip.Dispose();
        _ownedCopy?.Dispose();
    }

    private static string FindPrefix(IReadOnlyList<ZipArchiveEntry> entries, string source)
    {
        var pickles = entries
            .Select(e => e.FullName)
            .Where(n => n.EndsWith("/" + PickleRecord, StringComparison.Ordinal)
                        && n.IndexOf('/') == n.Length - PickleRecord.Length - 1)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return pickles.Count switch
        {
            1 => pickles[0][..^PickleRecord.Length],
            0 => throw new TorchCheckpointFormatException(
                $"{source}: the zip has no '<archive>/{PickleRecord}' record, so it is not a torch.save archive."),
            _ => throw new TorchCheckpointFormatException(
                $"{source}: the zip has several top-level {PickleRecord} records ({string.Join(", ", pickles.Take(4))}); " +
                "a torch.save archive has one."),
        };
    }

    private static string DescribeNonZip(Stream stream, long start, string source)
    {
        var head = new byte[LegacyMagicPrefix.Length];
        int read = 0;
        try
        {
            stream.Position = start;
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (IOException)
        {
            // Fall through to the generic message.
        }
        if (read == head.Length && head.AsSpan().SequenceEqual(LegacyMagicPrefix))
        {
            return $"{source}: this is a legacy torch.save file (torch < 1.6, or _use_new_zipfile_serialization=False), " +
                   "which is not supported; re-save it with a current torch.save.";
        }
        return $"{source}: not a zip archive, or a truncated one; a torch.save file (torch ≥ 1.6) is a zip.";
    }
}
