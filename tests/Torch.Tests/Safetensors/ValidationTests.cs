using DiffusionSteering.Torch.Safetensors;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>One hand-crafted file per validation rule, plus the edge cases that must stay valid.</summary>
public sealed class ValidationTests : IDisposable
{
    private const string F32x2 = "\"dtype\":\"F32\",\"shape\":[2]";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    public void FileShorterThanEightBytes(int length)
    {
        var ex = Fails(new byte[length], SafetensorsRule.FileTooShort, tensor: null);
        Assert.Contains($"{length} bytes", ex.Message);
    }

    [Fact]
    public void HeaderLengthAbsurd()
    {
        Fails(CraftedFile.Raw(200_000_000, "{}"u8, []), SafetensorsRule.HeaderTooLarge, tensor: null);
        Fails(CraftedFile.Raw(ulong.MaxValue, "{}"u8, []), SafetensorsRule.HeaderTooLarge, tensor: null);
    }

    [Fact]
    public void HeaderLengthLimitIsConfigurable()
    {
        var path = Write(CraftedFile.FromJson("{}      ", 0));
        var ex = Assert.Throws<SafetensorsFormatException>(
            () => SafetensorsFile.Open(path, new SafetensorsReadOptions { MaxHeaderBytes = 4 }));
        Assert.Equal(SafetensorsRule.HeaderTooLarge, ex.Rule);
    }

    [Fact]
    public void HeaderLengthBeyondFile()
    {
        var ex = Fails(CraftedFile.Raw(100, "{}"u8, []), SafetensorsRule.HeaderBeyondFile, tensor: null);
        Assert.Contains("100", ex.Message);
    }

    [Fact]
    public void HeaderNotUtf8()
    {
        byte[] header = [.. "{\"a"u8, 0xFF, .. "\":{}}"u8];
        var ex = Fails(CraftedFile.Raw((ulong)header.Length, header, []), SafetensorsRule.HeaderNotUtf8, tensor: null);
        Assert.Contains("0xFF", ex.Message);
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",}}")]
    [InlineData("{} x")]
    [InlineData("{}{}")]
    [InlineData("")]
    [InlineData("        ")]
    [InlineData("{\"a\\uD800\":{}}")]
    [InlineData("{/*c*/}")]
    public void HeaderNotJson(string json) => Fails(CraftedFile.FromJson(json, 0), SafetensorsRule.HeaderNotJson, tensor: null);

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void HeaderNotAnObject(string json) => Fails(CraftedFile.FromJson(json, 0), SafetensorsRule.HeaderNotObject, tensor: null);

    [Fact]
    public void DuplicateTensorName()
    {
        // System.Text.Json's DOM would keep one of them silently.
        var json = $"{{\"a\":{{{F32x2},\"data_offsets\":[0,8]}},\"a\":{{{F32x2},\"data_offsets\":[8,16]}}}}";
        Fails(CraftedFile.FromJson(json, 16), SafetensorsRule.DuplicateName, tensor: "a");
    }

    [Fact]
    public void DuplicateMetadataBlock() =>
        Fails(CraftedFile.FromJson("{\"__metadata__\":{},\"__metadata__\":{}}", 0), SafetensorsRule.DuplicateName, tensor: null);

    [Theory]
    [InlineData("5")]
    [InlineData("[]")]
    [InlineData("\"F32\"")]
    [InlineData("null")]
    public void EntryNotAnObject(string value) =>
        Fails(CraftedFile.FromJson($"{{\"w\":{value}}}", 0), SafetensorsRule.EntryNotObject, tensor: "w");

    [Theory]
    [InlineData("\"shape\":[1],\"data_offsets\":[0,4]", "'dtype'")]
    [InlineData("\"dtype\":\"F32\",\"data_offsets\":[0,4]", "'shape'")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1]", "'data_offsets'")]
    [InlineData("", "'dtype', 'shape', 'data_offsets'")]
    public void MissingField(string fields, string named)
    {
        var ex = Fails(CraftedFile.FromJson($"{{\"w\":{{{fields}}}}}", 4), SafetensorsRule.MissingField, tensor: "w");
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void DuplicateField() =>
        Fails(CraftedFile.FromJson($"{{\"w\":{{\"dtype\":\"F32\",{F32x2},\"data_offsets\":[0,8]}}}}", 8),
            SafetensorsRule.DuplicateField, tensor: "w");

    [Theory]
    [InlineData("\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"begin\":0,\"end\":4}")]
    [InlineData("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551615]")]
    public void WrongJsonTypes(string fields) =>
        Fails(CraftedFile.FromJson($"{{\"w\":{{{fields}}}}}", 4), SafetensorsRule.InvalidFieldType, tensor: "w");

    [Theory]
    [InlineData("F128")]
    [InlineData("f32")]
    [InlineData("C64")]
    [InlineData("F4")]
    [InlineData("")]
    public void UnknownDType(string dtype)
    {
        var ex = Fails(CraftedFile.FromJson($"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", 4),
            SafetensorsRule.UnknownDType, tensor: "w");
        Assert.Contains($"'{dtype}'", ex.Message);
    }

    [Theory]
    [InlineData("[-1]")]
    [InlineData("[2,-3]")]
    [InlineData("[-99999999999999999999]")]
    public void NegativeDimension(string shape) =>
        Fails(CraftedFile.FromJson($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,0]}}}}", 0),
            SafetensorsRule.NegativeDimension, tensor: "w");

    [Theory]
    [InlineData("[4294967296,4294967296]")]
    [InlineData("[3037000500,3037000500]")]
    [InlineData("[18446744073709551615]")]
    public void ShapeOverflow(string shape) =>
        Fails(CraftedFile.FromJson($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,0]}}}}", 0),
            SafetensorsRule.ShapeOverflow, tensor: "w");

    [Fact]
    public void SizeMismatch()
    {
        var ex = Fails(CraftedFile.FromJson($"{{\"w\":{{{F32x2},\"data_offsets\":[0,4]}}}}", 4),
            SafetensorsRule.SizeMismatch, tensor: "w");
        Assert.Contains("needs 8 bytes", ex.Message);
    }

    [Fact]
    public void OffsetsReversed() =>
        Fails(CraftedFile.FromJson($"{{\"w\":{{{F32x2},\"data_offsets\":[8,0]}}}}", 8), SafetensorsRule.OffsetsReversed, tensor: "w");

    [Fact]
    public void OffsetsBeyondDataSection()
    {
        var ex = Fails(CraftedFile.FromJson($"{{\"w\":{{{F32x2},\"data_offsets\":[0,8]}}}}", 4),
            SafetensorsRule.OffsetsOutOfBounds, tensor: "w");
        Assert.Contains("4 bytes", ex.Message);
    }

    [Fact]
    public void OverlappingTensors()
    {
        var json = $"{{\"a\":{{{F32x2},\"data_offsets\":[0,8]}},\"b\":{{{F32x2},\"data_offsets\":[4,12]}}}}";
        var ex = Fails(CraftedFile.FromJson(json, 12), SafetensorsRule.OverlappingTensors, tensor: "b");
        Assert.Contains("'a'", ex.Message);
        // Overlap is an error even when gaps are allowed.
        var path = Write(CraftedFile.FromJson(json, 12));
        Assert.Equal(SafetensorsRule.OverlappingTensors, Assert.Throws<SafetensorsFormatException>(
            () => SafetensorsFile.Open(path, new SafetensorsReadOptions { RequireFullCoverage = false })).Rule);
    }

    [Fact]
    public void IdenticalRangesOverlap()
    {
        var json = $"{{\"a\":{{{F32x2},\"data_offsets\":[0,8]}},\"b\":{{{F32x2},\"data_offsets\":[0,8]}}}}";
        Fails(CraftedFile.FromJson(json, 8), SafetensorsRule.OverlappingTensors, tensor: "b");
    }

    [Fact]
    public void GapBetweenTensors()
    {
        var json = $"{{\"a\":{{{F32x2},\"data_offsets\":[0,8]}},\"b\":{{{F32x2},\"data_offsets\":[12,20]}}}}";
        Fails(CraftedFile.FromJson(json, 20), SafetensorsRule.UncoveredData, tensor: "b");

        var path = Write(CraftedFile.FromJson(json, 20));
        using var lenient = SafetensorsFile.Open(path, new SafetensorsReadOptions { RequireFullCoverage = false });
        Assert.Equal([12, 13, 14, 15, 16, 17, 18, 19], lenient.GetBytes("b").ToArray());
    }

    [Fact]
    public void TrailingBytesAfterLastTensor()
    {
        var json = $"{{\"a\":{{{F32x2},\"data_offsets\":[0,8]}}}}";
        Fails(CraftedFile.FromJson(json, 9), SafetensorsRule.UncoveredData, tensor: null);
        Fails(CraftedFile.FromJson("{}", 1), SafetensorsRule.UncoveredData, tensor: null);
    }

    [Theory]
    [InlineData("{\"k\":1}")]
    [InlineData("{\"k\":[\"v\"]}")]
    [InlineData("{\"k\":null}")]
    [InlineData("{\"k\":\"v\",\"k\":\"w\"}")]
    [InlineData("[]")]
    [InlineData("\"k=v\"")]
    public void MetadataNotAStringMap(string metadata) =>
        Fails(CraftedFile.FromJson($"{{\"__metadata__\":{metadata}}}", 0), SafetensorsRule.InvalidMetadata, tensor: null);

    [Fact]
    public void ExceptionCarriesFileTensorAndRule()
    {
        var path = Write(CraftedFile.FromJson($"{{\"w\":{{{F32x2},\"data_offsets\":[0,4]}}}}", 4));
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Equal(path, ex.FileName);
        Assert.Equal("w", ex.TensorName);
        Assert.Equal(SafetensorsRule.SizeMismatch, ex.Rule);
        Assert.StartsWith($"Invalid safetensors file '{path}', tensor 'w' [rule SizeMismatch]: ", ex.Message);
        Assert.EndsWith(ex.Detail, ex.Message);
    }

    [Fact]
    public void RustCrateDocExampleIsValid()
    {
        // The byte string from the Rust crate's documentation: an unpadded 60-byte header and 16 zero bytes.
        var header = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"u8;
        Assert.Equal(60, header.Length);
        using var file = SafetensorsFile.Open(Write(CraftedFile.Raw(60, header, new byte[16])));
        Assert.Equal([0, 0, 0, 0], file.ReadInt32("test"));
        Assert.Equal([2L, 2L], file.GetInfo("test").Shape);
    }

    [Fact]
    public void EdgeCasesThatAreValid()
    {
        var json = "{\"__metadata__\":null," +
                   "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]}," +
                   "\"scalar\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8],\"extra\":{\"ignored\":[1,2]}}," +
                   "\"also_empty\":{\"dtype\":\"BF16\",\"shape\":[5,0],\"data_offsets\":[8,8]}," +
                   "\"b\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[8,9]}}   \t\n";
        using var file = SafetensorsFile.Open(Write(CraftedFile.FromJson(json, 9)));
        Assert.Empty(file.Metadata);
        Assert.Equal(4, file.Tensors.Count);
        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Equal(0, file.GetInfo("empty").ElementCount);
        Assert.Equal(0, file.GetBytes("also_empty").Length);
        Assert.Equal(BitConverter.ToInt64([0, 1, 2, 3, 4, 5, 6, 7]), Assert.Single(file.ReadInt64("scalar")));
        Assert.True(Assert.Single(file.ReadBool("b"))); // byte value 8: non-zero reads as true
    }

    [Fact]
    public void EmptyHeaderObjectIsAValidEmptyFile()
    {
        using var file = SafetensorsFile.Open(Write(CraftedFile.FromJson("{}", 0)));
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void NonAsciiNamesAndMetadata()
    {
        var json = "{\"__metadata__\":{\"note\":\"größe ✓\"},\"gewicht.ä\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        using var file = SafetensorsFile.Open(Write(CraftedFile.FromJson(json, 2)));
        Assert.Equal("größe ✓", file.Metadata["note"]);
        Assert.Equal([0, 1], file.Read<byte>("gewicht.ä"));
    }

    private string Write(byte[] bytes) => CraftedFile.Write(_dir, Guid.NewGuid().ToString("N") + ".safetensors", bytes);

    private SafetensorsFormatException Fails(byte[] bytes, SafetensorsRule rule, string? tensor)
    {
        var path = Write(bytes);
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));
        Assert.Equal(rule, ex.Rule);
        Assert.Equal(path, ex.FileName);
        Assert.Equal(tensor, ex.TensorName);
        Assert.Contains(path, ex.Message);
        Assert.Contains(rule.ToString(), ex.Message);
        if (tensor is not null) Assert.Contains($"'{tensor}'", ex.Message);
        return ex;
    }
}
