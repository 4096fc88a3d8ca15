using DiffusionSteering.Sae.Core.Formats;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>
/// Reads an archive written by torch 1.13's own <c>torch.save</c> (embedded below): an <c>OrderedDict</c> with
/// <c>_metadata</c> (REDUCE + SETITEMS + BUILD), shared storages, views, an <c>nn.Parameter</c>, every supported dtype
/// and non-tensor entries.
/// </summary>
public sealed class TorchPickleTorchWrittenTests
{
    // Written with torch 1.13 by:
    //   w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    //   sd = collections.OrderedDict(); sd['weight'] = w; sd['wt'] = w.t()
    //   sd['half'] = torch.tensor([1.5, -2.0, 0.25], dtype=torch.float16)
    //   sd['bf'] = torch.tensor([[1.0, 2.0], [3.0, -4.5]], dtype=torch.bfloat16).t()
    //   sd['k'] = torch.tensor(8, dtype=torch.int32)
    //   sd['p'] = torch.nn.Parameter(torch.tensor([0.1, -0.2], dtype=torch.float64))
    //   sd['sl'] = torch.arange(10)[3:7]; sd['mask'] = torch.tensor([True, False, True])
    //   sd['i8'] = torch.tensor([-3, 4], dtype=torch.int8); sd['u8'] = torch.tensor([200, 7], dtype=torch.uint8)
    //   sd['i16'] = torch.tensor([-300, 5], dtype=torch.int16); sd['expanded'] = torch.tensor([7.0]).expand(3)
    //   sd['note'] = "TopK"; sd['cfg'] = {'k': 32, 'fn': ('ReLU', 1.5, None, [1, 2])}
    //   sd._metadata = collections.OrderedDict([('', {'version': 1}), ('encoder', {'version': 2})])
    //   torch.save(sd, buffer)
    private const string MixedArchiveBase64 =
        "UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAQABIAYXJjaGl2ZS9kYXRhLnBrbEZCDgBaWlpaWlpaWlpaWlpaWoACY2NvbGxlY3Rpb25zCk9y" +
        "ZGVyZWREaWN0CnEAKVJxAShYBgAAAHdlaWdodHECY3RvcmNoLl91dGlscwpfcmVidWlsZF90ZW5zb3JfdjIKcQMoKFgHAAAAc3RvcmFnZXEE" +
        "Y3RvcmNoCkZsb2F0U3RvcmFnZQpxBVgBAAAAMHEGWAMAAABjcHVxB0sGdHEIUUsASwJLA4ZxCUsDSwGGcQqJaAApUnELdHEMUnENWAIAAAB3" +
        "dHEOaAMoKGgEaAVoBmgHSwZ0cQ9RSwBLA0sChnEQSwFLA4ZxEYloAClScRJ0cRNScRRYBAAAAGhhbGZxFWgDKChoBGN0b3JjaApIYWxmU3Rv" +
        "cmFnZQpxFlgBAAAAMXEXaAdLA3RxGFFLAEsDhXEZSwGFcRqJaAApUnEbdHEcUnEdWAIAAABiZnEeaAMoKGgEY3RvcmNoCkJGbG9hdDE2U3Rv" +
        "cmFnZQpxH1gBAAAAMnEgaAdLBHRxIVFLAEsCSwKGcSJLAUsChnEjiWgAKVJxJHRxJVJxJlgBAAAAa3EnaAMoKGgEY3RvcmNoCkludFN0b3Jh" +
        "Z2UKcShYAQAAADNxKWgHSwF0cSpRSwApKYloAClScSt0cSxScS1YAQAAAHBxLmN0b3JjaC5fdXRpbHMKX3JlYnVpbGRfcGFyYW1ldGVyCnEv" +
        "aAMoKGgEY3RvcmNoCkRvdWJsZVN0b3JhZ2UKcTBYAQAAADRxMWgHSwJ0cTJRSwBLAoVxM0sBhXE0iWgAKVJxNXRxNlJxN4hoAClScTiHcTlS" +
        "cTpYAgAAAHNscTtoAygoaARjdG9yY2gKTG9uZ1N0b3JhZ2UKcTxYAQAAADVxPWgHSwp0cT5RSwNLBIVxP0sBhXFAiWgAKVJxQXRxQlJxQ1gE" +
        "AAAAbWFza3FEaAMoKGgEY3RvcmNoCkJvb2xTdG9yYWdlCnFFWAEAAAA2cUZoB0sDdHFHUUsASwOFcUhLAYVxSYloAClScUp0cUtScUxYAgAA" +
        "AGk4cU1oAygoaARjdG9yY2gKQ2hhclN0b3JhZ2UKcU5YAQAAADdxT2gHSwJ0cVBRSwBLAoVxUUsBhXFSiWgAKVJxU3RxVFJxVVgCAAAAdThx" +
        "VmgDKChoBGN0b3JjaApCeXRlU3RvcmFnZQpxV1gBAAAAOHFYaAdLAnRxWVFLAEsChXFaSwGFcVuJaAApUnFcdHFdUnFeWAMAAABpMTZxX2gD" +
        "KChoBGN0b3JjaApTaG9ydFN0b3JhZ2UKcWBYAQAAADlxYWgHSwJ0cWJRSwBLAoVxY0sBhXFkiWgAKVJxZXRxZlJxZ1gIAAAAZXhwYW5kZWRx" +
        "aGgDKChoBGgFWAIAAAAxMHFpaAdLAXRxalFLAEsDhXFrSwCFcWyJaAApUnFtdHFuUnFvWAQAAABub3RlcXBYBAAAAFRvcEtxcVgDAAAAY2Zn" +
        "cXJ9cXMoaCdLIFgCAAAAZm5xdChYBAAAAFJlTFVxdUc/+AAAAAAAAE5dcXYoSwFLAmV0cXd1dX1xeFgJAAAAX21ldGFkYXRhcXloAClScXoo" +
        "WAAAAABxe31xfFgHAAAAdmVyc2lvbnF9SwFzWAcAAABlbmNvZGVycX59cX9ofUsCc3VzYi5QSwcIvdiQI7QEAAC0BAAAUEsDBAAACAgAAAAA" +
        "AAAAAAAAAAAAAAAAAAAOABAAYXJjaGl2ZS9kYXRhLzBGQgwAWlpaWlpaWlpaWlpaAAAAAAAAgD8AAABAAABAQAAAgEAAAKBAUEsHCBeQ55EY" +
        "AAAAGAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAADgAsAGFyY2hpdmUvZGF0YS8xRkIoAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa" +
        "WlpaWlpaWlpaWlpaWloAPgDAADRQSwcIscXIHwYAAAAGAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAPAD0AYXJjaGl2ZS9kYXRhLzEw" +
        "RkI5AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWgAA4EBQSwcIYG3mCQQAAAAEAAAA" +
        "UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAOAEAAYXJjaGl2ZS9kYXRhLzJGQjwAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa" +
        "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpagD8AQEBAkMBQSwcIFkpqMQgAAAAIAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAOADwA" +
        "YXJjaGl2ZS9kYXRhLzNGQjgAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloIAAAAUEsH" +
        "CPP38OQEAAAABAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAADgBAAGFyY2hpdmUvZGF0YS80RkI8AFpaWlpaWlpaWlpaWlpaWlpaWlpa" +
        "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWpqZmZmZmbk/mpmZmZmZyb9QSwcIuFFuhxAAAAAQAAAAUEsDBAAACAgA" +
        "AAAAAAAAAAAAAAAAAAAAAAAOADQAYXJjaGl2ZS9kYXRhLzVGQjAAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa" +
        "WlpaWlpaAAAAAAAAAAABAAAAAAAAAAIAAAAAAAAAAwAAAAAAAAAEAAAAAAAAAAUAAAAAAAAABgAAAAAAAAAHAAAAAAAAAAgAAAAAAAAACQAA" +
        "AAAAAABQSwcIpOSFXlAAAABQAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAOADQAYXJjaGl2ZS9kYXRhLzZGQjAAWlpaWlpaWlpaWlpa" +
        "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaAQABUEsHCLODhIkDAAAAAwAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAA" +
        "DgBBAGFyY2hpdmUvZGF0YS83RkI9AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa" +
        "Wlr9BFBLBwgWSabnAgAAAAIAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAAA4AQgBhcmNoaXZlL2RhdGEvOEZCPgBaWlpaWlpaWlpaWlpa" +
        "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWsgHUEsHCBrantwCAAAAAgAAAFBLAwQAAAgIAAAAAAAA" +
        "AAAAAAAAAAAAAAAADgBCAGFyY2hpdmUvZGF0YS85RkI+AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa" +
        "WlpaWlpaWlpaWlpaWlpa1P4FAFBLBwhNW19KBAAAAAQAAABQSwMEAAAICAAAAAAAAAAAAAAAAAAAAAAAAA8APwBhcmNoaXZlL3ZlcnNpb25G" +
        "QjsAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlozClBLBwjRnmdVAgAAAAIAAABQ" +
        "SwECAAAAAAgIAAAAAAAAvdiQI7QEAAC0BAAAEAAAAAAAAAAAAAAAAAAAAAAAYXJjaGl2ZS9kYXRhLnBrbFBLAQIAAAAACAgAAAAAAAAXkOeR" +
        "GAAAABgAAAAOAAAAAAAAAAAAAAAAAAQFAABhcmNoaXZlL2RhdGEvMFBLAQIAAAAACAgAAAAAAACxxcgfBgAAAAYAAAAOAAAAAAAAAAAAAAAA" +
        "AGgFAABhcmNoaXZlL2RhdGEvMVBLAQIAAAAACAgAAAAAAABgbeYJBAAAAAQAAAAPAAAAAAAAAAAAAAAAANYFAABhcmNoaXZlL2RhdGEvMTBQ" +
        "SwECAAAAAAgIAAAAAAAAFkpqMQgAAAAIAAAADgAAAAAAAAAAAAAAAABUBgAAYXJjaGl2ZS9kYXRhLzJQSwECAAAAAAgIAAAAAAAA8/fw5AQA" +
        "AAAEAAAADgAAAAAAAAAAAAAAAADYBgAAYXJjaGl2ZS9kYXRhLzNQSwECAAAAAAgIAAAAAAAAuFFuhxAAAAAQAAAADgAAAAAAAAAAAAAAAABU" +
        "BwAAYXJjaGl2ZS9kYXRhLzRQSwECAAAAAAgIAAAAAAAApOSFXlAAAABQAAAADgAAAAAAAAAAAAAAAADgBwAAYXJjaGl2ZS9kYXRhLzVQSwEC" +
        "AAAAAAgIAAAAAAAAs4OEiQMAAAADAAAADgAAAAAAAAAAAAAAAACgCAAAYXJjaGl2ZS9kYXRhLzZQSwECAAAAAAgIAAAAAAAAFkmm5wIAAAAC" +
        "AAAADgAAAAAAAAAAAAAAAAATCQAAYXJjaGl2ZS9kYXRhLzdQSwECAAAAAAgIAAAAAAAAGtqe3AIAAAACAAAADgAAAAAAAAAAAAAAAACSCQAA" +
        "YXJjaGl2ZS9kYXRhLzhQSwECAAAAAAgIAAAAAAAATVtfSgQAAAAEAAAADgAAAAAAAAAAAAAAAAASCgAAYXJjaGl2ZS9kYXRhLzlQSwECAAAA" +
        "AAgIAAAAAAAA0Z5nVQIAAAACAAAADwAAAAAAAAAAAAAAAACUCgAAYXJjaGl2ZS92ZXJzaW9uUEsGBiwAAAAAAAAAHgMtAAAAAAAAAAAADQAA" +
        "AAAAAAANAAAAAAAAABADAAAAAAAAEgsAAAAAAABQSwYHAAAAACIOAAAAAAAAAQAAAFBLBQYAAAAADQANABADAAASCwAAAAA=";

    private static TorchCheckpoint Read() =>
        TorchPickleReader.ReadCheckpoint(new MemoryStream(Convert.FromBase64String(MixedArchiveBase64)));

    [Fact]
    public void OrderedDictWithMetadata_LoadsInFileOrder()
    {
        var checkpoint = Read();

        Assert.True(checkpoint.IsOrderedDict);
        Assert.Equal(
            new[] { "weight", "wt", "half", "bf", "k", "p", "sl", "mask", "i8", "u8", "i16", "expanded" },
            checkpoint.Tensors.Keys);
        Assert.Equal(new[] { "note", "cfg" }, checkpoint.Values.Keys);
    }

    [Fact]
    public void TransposedViewOfASharedStorage_ComesOutTransposed()
    {
        var tensors = Read().Tensors;
        PickledTensor weight = tensors["weight"], transposed = tensors["wt"];

        Assert.Equal(weight.StorageKey, transposed.StorageKey);
        Assert.Equal(new long[] { 3, 2 }, transposed.Shape);
        Assert.Equal(new long[] { 1, 3 }, transposed.Strides);
        Assert.False(transposed.IsContiguous);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, weight.ToFloat32());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, transposed.ToFloat32());
    }

    [Fact]
    public void FloatingPointDtypes_ConvertToFloat32()
    {
        var tensors = Read().Tensors;

        Assert.Equal(TorchDType.Float16, tensors["half"].DType);
        Assert.Equal(new float[] { 1.5f, -2f, 0.25f }, tensors["half"].ToFloat32());
        Assert.Equal(TorchDType.BFloat16, tensors["bf"].DType);
        Assert.Equal(new float[] { 1f, 3f, 2f, -4.5f }, tensors["bf"].ToFloat32());
        Assert.Equal(TorchDType.Float64, tensors["p"].DType);
        Assert.Equal(new[] { 0.1, -0.2 }, tensors["p"].ToFloat64());
        Assert.Equal(new[] { 0.1f, -0.2f }, tensors["p"].ToFloat32());
    }

    [Fact]
    public void Parameter_KeepsRequiresGrad()
    {
        var tensors = Read().Tensors;

        Assert.True(tensors["p"].RequiresGrad);
        Assert.False(tensors["weight"].RequiresGrad);
    }

    [Fact]
    public void IntegerAndBoolDtypes_ConvertToInt64()
    {
        var tensors = Read().Tensors;

        Assert.Equal(TorchDType.Int32, tensors["k"].DType);
        Assert.Empty(tensors["k"].Shape);
        Assert.Equal(8, tensors["k"].ToScalarInt64());
        Assert.Equal(TorchDType.Bool, tensors["mask"].DType);
        Assert.Equal(new long[] { 1, 0, 1 }, tensors["mask"].ToInt64());
        Assert.Equal(TorchDType.Int8, tensors["i8"].DType);
        Assert.Equal(new long[] { -3, 4 }, tensors["i8"].ToInt64());
        Assert.Equal(TorchDType.UInt8, tensors["u8"].DType);
        Assert.Equal(new long[] { 200, 7 }, tensors["u8"].ToInt64());
        Assert.Equal(TorchDType.Int16, tensors["i16"].DType);
        Assert.Equal(new long[] { -300, 5 }, tensors["i16"].ToInt64());
    }

    [Fact]
    public void SliceAndExpandedViews_ApplyOffsetAndZeroStride()
    {
        var tensors = Read().Tensors;

        PickledTensor slice = tensors["sl"];
        Assert.Equal(TorchDType.Int64, slice.DType);
        Assert.Equal(3, slice.StorageOffset);
        Assert.Equal(new long[] { 3, 4, 5, 6 }, slice.ToInt64());

        PickledTensor expanded = tensors["expanded"];
        Assert.Equal(new long[] { 0 }, expanded.Strides);
        Assert.Equal(new float[] { 7, 7, 7 }, expanded.ToFloat32());
    }

    [Fact]
    public void NonTensorEntries_BecomePlainValues()
    {
        var values = Read().Values;

        Assert.Equal("TopK", values["note"]);
        var cfg = Assert.IsAssignableFrom<IReadOnlyDictionary<object, object?>>(values["cfg"]);
        Assert.Equal(32L, cfg["k"]);
        var fn = Assert.IsAssignableFrom<IReadOnlyList<object?>>(cfg["fn"]);
        Assert.Equal("ReLU", fn[0]);
        Assert.Equal(1.5, fn[1]);
        Assert.Null(fn[2]);
        Assert.Equal(new object[] { 1L, 2L }, Assert.IsAssignableFrom<IReadOnlyList<object?>>(fn[3]));
    }

    [Fact]
    public void ReadStateDict_SkipsNonTensorEntries()
    {
        var tensors = TorchPickleReader.ReadStateDict(new MemoryStream(Convert.FromBase64String(MixedArchiveBase64)));

        Assert.Equal(12, tensors.Count);
        Assert.False(tensors.ContainsKey("note"));
    }
}
