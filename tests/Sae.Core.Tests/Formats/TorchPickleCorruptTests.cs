using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Tests;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>Truncated, corrupt or unsupported archives raise <see cref="TorchCheckpointFormatException"/>.</summary>
public sealed class TorchPickleCorruptTests
{
    private static TorchCheckpointFormatException Reject(byte[] archive) =>
        Assert.Throws<TorchCheckpointFormatException>(() => TorchPickleReader.ReadCheckpoint(new MemoryStream(archive)));

    private static TorchCheckpointFormatException RejectPickle(byte[] pickle, params (string Key, byte[] Data)[] storages) =>
        Reject(TorchZip.Create(pickle, storages));

    /// <summary>A valid one-tensor state dict <c>{'w': float32[2]}</c> without its STOP opcode.</summary>
    private static PickleBuilder OneTensorBody(long numel = 2, long offset = 0, long[]? size = null, long[]? stride = null) =>
        new PickleBuilder().Proto().EmptyDict().Str("w")
            .Tensor("FloatStorage", "0", numel, offset, size ?? [2], stride ?? [1]).SetItem();

    [Fact]
    public void NotAZip_IsRejected()
    {
        var ex = Reject("this is not a zip archive at all"u8.ToArray());

        Assert.Contains("not a zip", ex.Message);
    }

    [Fact]
    public void EmptyInput_IsRejected() => Reject([]);

    [Fact]
    public void TruncatedFixture_IsRejected()
    {
        byte[] file = File.ReadAllBytes(
            FixturePaths.Fixture("sae", "dictionary_learning", "resid_post_layer_1", "trainer_0", "ae.pt"));

        Reject(file[..(file.Length / 2)]);
        Reject(file[..^30]);
    }

    [Fact]
    public void LegacyTorchSaveFormat_IsRejectedWithAnExplanation()
    {
        // torch < 1.6 files start with the pickled magic number 0x1950a86a20f9469cfc6c.
        byte[] legacy = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E];

        var ex = Reject(legacy);

        Assert.Contains("legacy", ex.Message);
    }

    [Fact]
    public void ZipWithoutDataPkl_IsRejected()
    {
        var ex = Reject(TorchZip.CreateRaw([("archive/version", "3\n"u8.ToArray())]));

        Assert.Contains("data.pkl", ex.Message);
    }

    [Fact]
    public void BigEndianArchive_IsRejected()
    {
        byte[] zip = TorchZip.Create(OneTensorBody().Stop().ToArray(), [("0", TorchZip.Floats(1f, 2f))], byteOrder: "big");

        var ex = Reject(zip);

        Assert.Contains("big-endian", ex.Message);
    }

    [Fact]
    public void TruncatedPickle_IsRejected()
    {
        byte[] pickle = OneTensorBody().Stop().ToArray();

        for (int length = 0; length < pickle.Length; length += 7)
        {
            RejectPickle(pickle[..length], ("0", TorchZip.Floats(1f, 2f)));
        }
    }

    [Fact]
    public void PickleWithoutStop_IsRejected()
    {
        var ex = RejectPickle(OneTensorBody().ToArray(), ("0", TorchZip.Floats(1f, 2f)));

        Assert.Contains("STOP", ex.Message);
    }

    [Fact]
    public void HugeStringLength_IsRejectedWithoutAllocating()
    {
        byte[] pickle = [0x80, 0x02, 0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E];

        var ex = RejectPickle(pickle);

        Assert.Contains("BINUNICODE8", ex.Message);
    }

    [Fact]
    public void StackUnderflow_IsRejected()
    {
        var ex = RejectPickle(new PickleBuilder().Proto().Op((byte)'s').Stop().ToArray());

        Assert.Contains("underflow", ex.Message);
    }

    [Fact]
    public void PoppingBelowAMark_IsRejected()
    {
        // EMPTY_DICT MARK 'k' SETITEM: SETITEM may not reach below the mark for its key and value.
        var ex = RejectPickle(new PickleBuilder().Proto().EmptyDict().Mark().Str("k").SetItem().Stop().ToArray());

        Assert.Contains("underflow", ex.Message);
    }

    [Fact]
    public void UnknownMemoIndex_IsRejected()
    {
        var ex = RejectPickle(new PickleBuilder().Proto().BinGet(9).Stop().ToArray());

        Assert.Contains("memo", ex.Message);
    }

    [Fact]
    public void ExtraValuesAtStop_AreRejected() =>
        RejectPickle(new PickleBuilder().Proto().EmptyDict().EmptyDict().Stop().ToArray());

    [Fact]
    public void UnsupportedProtocol_IsRejected()
    {
        var ex = RejectPickle(new PickleBuilder().Proto(6).EmptyDict().Stop().ToArray());

        Assert.Contains("protocol", ex.Message);
    }

    [Fact]
    public void MissingStorageRecord_IsRejectedNamingIt()
    {
        var ex = RejectPickle(OneTensorBody().Stop().ToArray());

        Assert.Contains("archive/data/0", ex.Message);
    }

    [Fact]
    public void StorageRecordOfTheWrongLength_IsRejected()
    {
        var ex = RejectPickle(OneTensorBody().Stop().ToArray(), ("0", TorchZip.Floats(1f, 2f, 3f)));

        Assert.Contains("archive/data/0", ex.Message);
        Assert.Contains("12 bytes", ex.Message);
    }

    [Fact]
    public void ViewReachingPastItsStorage_IsRejected()
    {
        // size (2, 2) stride (1, 2) over a 3-element storage needs element index 3.
        var ex = RejectPickle(OneTensorBody(numel: 3, size: [2, 2], stride: [1, 2]).Stop().ToArray(),
            ("0", TorchZip.Floats(1f, 2f, 3f)));

        Assert.Contains("needs 16 bytes", ex.Message);
    }

    [Fact]
    public void OffsetPastItsStorage_IsRejected() =>
        RejectPickle(OneTensorBody(offset: 1).Stop().ToArray(), ("0", TorchZip.Floats(1f, 2f)));

    [Fact]
    public void MismatchedSizeAndStrideRanks_AreRejected() =>
        RejectPickle(OneTensorBody(size: [2], stride: [1, 1]).Stop().ToArray(), ("0", TorchZip.Floats(1f, 2f)));

    [Fact]
    public void NegativeStride_IsRejected() =>
        RejectPickle(OneTensorBody(size: [2], stride: [-1]).Stop().ToArray(), ("0", TorchZip.Floats(1f, 2f)));

    [Fact]
    public void WrongRebuildArity_IsRejected()
    {
        byte[] pickle = new PickleBuilder().Proto().EmptyDict().Str("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Mark().Storage("FloatStorage", "0", 2).Int(0).Tuple().Reduce()
            .SetItem().Stop().ToArray();

        var ex = RejectPickle(pickle, ("0", TorchZip.Floats(1f, 2f)));

        Assert.Contains("_rebuild_tensor_v2", ex.Message);
    }

    [Fact]
    public void MalformedPersistentId_IsRejected()
    {
        byte[] pickle = new PickleBuilder().Proto().Str("storage").Tuple1().BinPersId().Stop().ToArray();

        var ex = RejectPickle(pickle);

        Assert.Contains("BINPERSID", ex.Message);
    }

    [Fact]
    public void NonStringKey_IsRejected()
    {
        byte[] pickle = new PickleBuilder().Proto().EmptyDict().Int(3)
            .Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem().Stop().ToArray();

        var ex = RejectPickle(pickle, ("0", TorchZip.Floats(1f, 2f)));

        Assert.Contains("not a string", ex.Message);
    }

    [Fact]
    public void RootThatIsNotADict_IsRejected()
    {
        var ex = RejectPickle(new PickleBuilder().Proto().EmptyList().Stop().ToArray());

        Assert.Contains("not a dict", ex.Message);
    }

    [Fact]
    public void SelfContainingValue_IsRejectedByReadCheckpointButIgnoredByReadStateDict()
    {
        // {'loop': l} where l = []; l.append(l)
        byte[] pickle = new PickleBuilder().Proto().EmptyDict().Str("loop").EmptyList().BinPut(0).BinGet(0).Append()
            .SetItem().Stop().ToArray();
        byte[] zip = TorchZip.Create(pickle, []);

        var ex = Reject(zip);

        Assert.Contains("contains itself", ex.Message);
        Assert.Empty(TorchPickleReader.ReadStateDict(new MemoryStream(zip)));
    }

    [Fact]
    public void RandomlyCorruptedPickles_OnlyEverRaiseTheReadersExceptions()
    {
        byte[] original = new PickleBuilder().Proto().EmptyDict().Mark()
            .Str("w").Tensor("FloatStorage", "0", 6, 0, [2, 3], [3, 1])
            .Str("t").Tensor("FloatStorage", "0", 6, 1, [2, 2], [1, 3])
            .Str("k").Tensor("IntStorage", "1", 1, 0, [], [])
            .SetItems().Stop().ToArray();
        (string, byte[])[] storages = [("0", TorchZip.Floats(1, 2, 3, 4, 5, 6)), ("1", new byte[] { 8, 0, 0, 0 })];
        var random = new Random(20240601);

        for (int iteration = 0; iteration < 1000; iteration++)
        {
            byte[] pickle = (byte[])original.Clone();
            for (int flip = random.Next(1, 4); flip > 0; flip--)
            {
                pickle[random.Next(pickle.Length)] = (byte)random.Next(256);
            }
            if (random.Next(8) == 0) pickle = pickle[..random.Next(pickle.Length)];
            byte[] zip = TorchZip.Create(pickle, storages);

            try
            {
                TorchPickleReader.ReadCheckpoint(new MemoryStream(zip));
            }
            catch (TorchCheckpointFormatException)
            {
                // Expected for most corruptions (UnsafePickleException derives from it).
            }
        }
    }
}
