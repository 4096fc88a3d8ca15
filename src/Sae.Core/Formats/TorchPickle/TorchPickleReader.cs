using System.Collections.ObjectModel;

namespace DiffusionSteering.Sae.Core.Formats;

/// <summary>
/// Reads PyTorch <c>torch.save</c> files (the zip format of torch ≥ 1.6) holding a state dict — such as
/// dictionary_learning / DLM-Scope <c>ae.pt</c> SAE checkpoints — without Python and without running any code.
/// </summary>
/// <remarks>
/// <para>The pickle in <c>&lt;archive&gt;/data.pkl</c> is interpreted by a restricted virtual machine that knows only
/// the opcodes of a tensor state dict and only the globals <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>/<c>_v3</c>, <c>torch._utils._rebuild_parameter</c>(<c>_with_state</c>), the
/// torch storage classes (<c>torch.FloatStorage</c>, …, <c>torch.UntypedStorage</c>) and torch dtypes. Anything else
/// raises <see cref="UnsafePickleException"/>. Storages are read from <c>&lt;archive&gt;/data/&lt;key&gt;</c> and
/// checked against the sizes the pickle declares; tensors keep their strides and offset.</para>
/// <para>Legacy (torch &lt; 1.6) files, TorchScript archives and big-endian archives are rejected with
/// <see cref="TorchCheckpointFormatException"/>.</para>
/// </remarks>
public static class TorchPickleReader
{
    private const string StreamSource = "torch checkpoint stream";

    /// <summary>Reads the tensors of the state dict in the file at <paramref name="path"/>.</summary>
    /// <param name="path">A <c>.pt</c>/<c>.pth</c> file written by <c>torch.save(state_dict, path)</c>.</param>
    /// <returns>The tensor entries by name, in file order. Non-tensor entries are skipped; use
    /// <see cref="ReadCheckpoint(string)"/> to see them.</returns>
    /// <exception cref="UnsafePickleException">The pickle names a disallowed global or uses a disallowed opcode.</exception>
    /// <exception cref="TorchCheckpointFormatException">The file is not a valid torch zip archive holding a dict with
    /// string keys, or its storages are missing or inconsistent.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static IReadOnlyDictionary<string, PickledTensor> ReadStateDict(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path, includeValues: false).Tensors;
    }

    /// <summary>Reads the tensors of the state dict in <paramref name="stream"/>.</summary>
    /// <param name="stream">A readable stream positioned at the start of a <c>torch.save</c> archive; left open.
    /// Non-seekable streams are buffered in memory first.</param>
    /// <returns>The tensor entries by name, in file order. Non-tensor entries are skipped.</returns>
    /// <exception cref="UnsafePickleException">The pickle names a disallowed global or uses a disallowed opcode.</exception>
    /// <exception cref="TorchCheckpointFormatException">The data is not a valid torch zip archive holding a dict with
    /// string keys, or its storages are missing or inconsistent.</exception>
    public static IReadOnlyDictionary<string, PickledTensor> ReadStateDict(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, StreamSource, includeValues: false).Tensors;
    }

    /// <summary>Reads the top-level dict in the file at <paramref name="path"/>, tensors and other entries.</summary>
    /// <param name="path">A file written by <c>torch.save(dict, path)</c>.</param>
    /// <returns>The tensor entries and the plain-value entries.</returns>
    /// <exception cref="UnsafePickleException">The pickle names a disallowed global or uses a disallowed opcode.</exception>
    /// <exception cref="TorchCheckpointFormatException">The file is not a valid torch zip archive holding a dict with
    /// string keys, or its storages are missing or inconsistent.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static TorchCheckpoint ReadCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path, includeValues: true);
    }

    /// <summary>Reads the top-level dict in <paramref name="stream"/>, tensors and other entries.</summary>
    /// <param name="stream">A readable stream positioned at the start of a <c>torch.save</c> archive; left open.</param>
    /// <returns>The tensor entries and the plain-value entries.</returns>
    /// <exception cref="UnsafePickleException">The pickle names a disallowed global or uses a disallowed opcode.</exception>
    /// <exception cref="TorchCheckpointFormatException">The data is not a valid torch zip archive holding a dict with
    /// string keys, or its storages are missing or inconsistent.</exception>
    public static TorchCheckpoint ReadCheckpoint(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, StreamSource, includeValues: true);
    }

    private static TorchCheckpoint Read(Stream stream, string source, bool includeValues)
    {
        using TorchZipArchive archive = TorchZipArchive.Open(stream, source);
        archive.CheckByteOrder();
        byte[] pickle = archive.ReadPickle();

        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        TorchStorage LoadStorage(string key, string location, long byteLength)
        {
            if (storages.TryGetValue(key, out TorchStorage? known))
            {
                if (known.Bytes.Length != byteLength)
                {
                    throw new TorchCheckpointFormatException(
                        $"storage '{PickleMachine.Printable(key)}' is declared with {byteLength} bytes here but " +
                        $"{known.Bytes.Length} bytes earlier");
                }
                return known;
            }
            byte[] bytes = archive.ReadRecord("data/" + key, byteLength)
                ?? throw new TorchCheckpointFormatException(
                    $"storage record '{archive.Prefix}data/{PickleMachine.Printable(key)}' is missing from the archive");
            var storage = new TorchStorage(key, location, bytes);
            storages.Add(key, storage);
            return storage;
        }

        string context = $"{source} ({archive.PickleName})";
        object? root = PickleMachine.Run(pickle, new TorchPickleHost(LoadStorage), context);
        if (root is not PickleDict dict)
        {
            throw new TorchCheckpointFormatException(
                $"{context}: the saved object is {PickleMachine.Describe(root)}, not a dict or OrderedDict state dict.");
        }

        var tensors = new OrderedDictionary<string, PickledTensor>(StringComparer.Ordinal);
        var values = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in dict.Entries)
        {
            if (key is not string name)
            {
                throw new TorchCheckpointFormatException(
                    $"{context}: state-dict key {PickleMachine.Describe(key)} is not a string.");
            }
            if (value is PickledTensor tensor) tensors.Add(name, tensor);
            else if (includeValues)
            {
                values.Add(name, PickleValueConverter.ToPlain(value, $"{context}: entry '{PickleMachine.Printable(name)}'"));
            }
        }
        return new TorchCheckpoint(
            new ReadOnlyDictionary<string, PickledTensor>(tensors),
            new ReadOnlyDictionary<string, object?>(values),
            dict.IsOrderedDict);
    }
}
