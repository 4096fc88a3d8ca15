using DiffusionSteering.Sae.Core.Formats;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>Strided views, offsets, scalars and the torch ≥ 2.x record forms, on hand-built archives.</summary>
public sealed class TorchPickleViewTests
{
    private static PickledTensor Single(byte[] zip) =>
        Assert.Single(TorchPickleReader.ReadStateDict(new MemoryStream(zip))).Value;

    [Fact]
    public void TransposedView_Strides1Rows_ComesOutTransposed()
    {
        // storage = row-major [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]] (3 × 4);
        // the saved tensor is its transpose: size (4, 3), stride (1, 4).
        float[] rowMajor = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23];
        var tensor = Single(TorchZip.SingleTensor("w", "FloatStorage", 12, 0, [4, 3], [1, 4], TorchZip.Floats(rowMajor)));

        Assert.False(tensor.IsContiguous);
        Assert.Equal(new float[] { 0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23 }, tensor.ToFloat32());
        Assert.Equal(TorchZip.Floats(0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23), tensor.ToContiguousBytes());
    }

    [Fact]
    public void OffsetView_SkipsTheStoragePrefix()
    {
        // x = arange(12).reshape(3, 4); saved x[1:, 1:3] → offset 5, size (2, 2), stride (4, 1).
        var tensor = Single(TorchZip.SingleTensor("v", "LongStorage", 12, 5, [2, 2], [4, 1],
            TorchZip.Longs(Enumerable.Range(0, 12).Select(i => (long)i).ToArray())));

        Assert.Equal(5, tensor.StorageOffset);
        Assert.Equal(new long[] { 5, 6, 9, 10 }, tensor.ToInt64());
    }

    [Fact]
    public void PermutedThreeDimensionalView_WithOffset_MatchesIndexArithmetic()
    {
        // storage s[i] = i for 1 + 2*3*4 elements; view offset 1, size (4, 2, 3), stride (1, 12, 4).
        float[] storage = Enumerable.Range(0, 25).Select(i => (float)i).ToArray();
        var tensor = Single(TorchZip.SingleTensor("p", "FloatStorage", 25, 1, [4, 2, 3], [1, 12, 4], TorchZip.Floats(storage)));

        var expected = new List<float>();
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 2; b++)
                for (int c = 0; c < 3; c++)
                    expected.Add(1 + a + 12 * b + 4 * c);
        Assert.Equal(expected, tensor.ToFloat32());
    }

    [Fact]
    public void ScalarView_ReadsTheElementAtItsOffset()
    {
        var tensor = Single(TorchZip.SingleTensor("s", "FloatStorage", 3, 2, [], [], TorchZip.Floats(1f, 2f, 3.5f)));

        Assert.Equal(0, tensor.Rank);
        Assert.Equal(1, tensor.ElementCount);
        Assert.Equal(3.5f, tensor.ToScalarFloat32());
    }

    [Fact]
    public void EmptyTensor_HasNoElements()
    {
        var tensor = Single(TorchZip.SingleTensor("e", "FloatStorage", 0, 0, [0, 3], [3, 1], []));

        Assert.Equal(0, tensor.ElementCount);
        Assert.Empty(tensor.ToFloat32());
    }

    [Fact]
    public void Torch21Layout_WithByteOrderAndUntypedStorageAndRebuildV3_Loads()
    {
        // torch ≥ 2.1 records plus a _rebuild_tensor_v3 over an UntypedStorage (numel counted in bytes) with dtype
        // torch.float16, and a second tensor whose persistent id names a dtype (torch.float32) as its storage type.
        byte[] pickle = new PickleBuilder().Proto().EmptyDict().Mark()
            .Str("h").Global("torch._utils", "_rebuild_tensor_v3")
                .Mark().Storage("UntypedStorage", "0", 6).Int(0).IntTuple(3).IntTuple(1).False().OrderedDict()
                .Global("torch", "float16").Tuple().Reduce()
            .Str("f").Global("torch._utils", "_rebuild_tensor_v2")
                .Mark().Storage("float32", "1", 2).Int(0).IntTuple(2).IntTuple(1).False().OrderedDict()
                .EmptyDict().Tuple().Reduce()
            .SetItems().Stop().ToArray();
        byte[] zip = TorchZip.Create(pickle, [("0", TorchZip.Halves(1.5f, -2f, 0.25f)), ("1", TorchZip.Floats(4f, 5f))],
            byteOrder: "little");

        var tensors = TorchPickleReader.ReadStateDict(new MemoryStream(zip));

        Assert.Equal(TorchDType.Float16, tensors["h"].DType);
        Assert.Equal(new float[] { 1.5f, -2f, 0.25f }, tensors["h"].ToFloat32());
        Assert.Equal(TorchDType.Float32, tensors["f"].DType);
        Assert.Equal(new float[] { 4f, 5f }, tensors["f"].ToFloat32());
    }

    [Fact]
    public void Protocol4Pickle_WithFrameStackGlobalAndMemoize_Loads()
    {
        byte[] body = new PickleBuilder().EmptyDict().Memoize()
            .ShortStr("w").Memoize()
            .ShortStr("torch._utils").ShortStr("_rebuild_tensor_v2").StackGlobal().Memoize()
            .Mark().Mark().ShortStr("storage").ShortStr("torch").ShortStr("FloatStorage").StackGlobal()
            .ShortStr("0").ShortStr("cpu").Int(2).Tuple().BinPersId()
            .Int(0).Int(2).Tuple1().Int(1).Tuple1().False()
            .ShortStr("collections").ShortStr("OrderedDict").StackGlobal().EmptyTuple().Reduce()
            .Tuple().Reduce().SetItem().Stop().ToArray();
        var frame = new byte[9];
        frame[0] = 0x95;
        BitConverter.TryWriteBytes(frame.AsSpan(1), (long)body.Length);
        byte[] pickle = [0x80, 4, .. frame, .. body];

        var tensor = Single(TorchZip.Create(pickle, [("0", TorchZip.Floats(-1f, 2f))]));

        Assert.Equal(new float[] { -1f, 2f }, tensor.ToFloat32());
    }

    [Fact]
    public void TypedHelpers_RejectTheWrongKindOfDtype()
    {
        var floats = Single(TorchZip.SingleTensor("f", "FloatStorage", 2, 0, [2], [1], TorchZip.Floats(1f, 2f)));
        var longs = Single(TorchZip.SingleTensor("l", "LongStorage", 2, 0, [2], [1], TorchZip.Longs(1, 2)));

        Assert.Throws<InvalidOperationException>(() => floats.ToInt64());
        Assert.Throws<InvalidOperationException>(() => longs.ToFloat32());
        Assert.Throws<InvalidOperationException>(() => floats.ToScalarFloat32());
        Assert.Equal("float32[2]", floats.ToString());
    }
}
