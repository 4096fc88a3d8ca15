using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch.Safetensors;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Every fixture file opens, validates and agrees with an independent parse and with fixture_summary.json.</summary>
public sealed class FixtureFileTests
{
    public static TheoryData<string> Files => FixtureCatalog.AsTheoryData(FixtureCatalog.SafetensorsFiles());

    public static TheoryData<string> Summaries => FixtureCatalog.AsTheoryData(FixtureCatalog.SummaryFiles());

    [Fact]
    public void FixturesAreThere()
    {
        Assert.NotEmpty(FixtureCatalog.SafetensorsFiles());
        Assert.NotEmpty(FixtureCatalog.SummaryFiles());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void OpensAndAgreesWithIndependentParse(string relative)
    {
        var path = FixtureCatalog.Full(relative);
        var expected = IndependentHeader.Load(path);
        using var file = SafetensorsFile.Open(path);

        Assert.Equal(Path.GetFullPath(path), file.FilePath);
        Assert.Equal(8 + expected.HeaderLength, file.DataSectionOffset);
        Assert.Equal(expected.Entries.Count, file.Tensors.Count);
        Assert.Equal(
            expected.Entries.OrderBy(e => e.Begin).ThenBy(e => e.End).Select(e => e.Name),
            file.TensorNames);
        foreach (var e in expected.Entries)
        {
            var info = file.GetInfo(e.Name);
            Assert.Equal(e.DType, info.DType.ToHeaderName());
            Assert.Equal(e.Shape, info.Shape);
            Assert.Equal(e.Begin, info.DataOffset);
            Assert.Equal(e.End - e.Begin, info.ByteLength);
            Assert.Equal(Path.GetFullPath(path), info.FilePath);
            Assert.True(expected.Data(e).SequenceEqual(file.GetBytes(e.Name)), $"bytes of '{e.Name}' differ");
        }
        Assert.Equal(
            expected.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal),
            file.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void TypedReadsMatchRawBytes(string relative)
    {
        using var file = SafetensorsFile.Open(FixtureCatalog.Full(relative));
        foreach (var info in file.Tensors.Values)
        {
            var bytes = file.GetBytes(info.Name);
            switch (info.DType)
            {
                case SafetensorsDType.F32:
                    var floats = file.ReadFloat32(info.Name);
                    Assert.Equal(info.ElementCount, floats.Length);
                    for (var i = 0; i < floats.Length; i++)
                        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]), BitConverter.SingleToUInt32Bits(floats[i]));
                    Assert.Equal(floats, file.ReadAsFloat32(info.Name));
                    break;
                case SafetensorsDType.I64:
                    var longs = file.ReadInt64(info.Name);
                    for (var i = 0; i < longs.Length; i++) Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]), longs[i]);
                    break;
                case SafetensorsDType.F64:
                    var doubles = file.ReadFloat64(info.Name);
                    for (var i = 0; i < doubles.Length; i++) Assert.Equal(BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]), doubles[i]);
                    break;
                case SafetensorsDType.BOOL:
                    var bools = file.ReadBool(info.Name);
                    for (var i = 0; i < bools.Length; i++)
                    {
                        Assert.True(bytes[i] <= 1, $"BOOL byte {bytes[i]} in '{info.Name}'");
                        Assert.Equal(bytes[i] != 0, bools[i]);
                    }
                    break;
                case SafetensorsDType.BF16:
                    var widened = file.ReadAsFloat32(info.Name);
                    for (var i = 0; i < widened.Length; i++)
                        Assert.Equal((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16, BitConverter.SingleToUInt32Bits(widened[i]));
                    break;
            }
        }
    }

    /// <summary>
    /// Checks every shape listed in a fixture_summary.json: <c>X_shapes</c> maps to <c>X.safetensors</c> (or
    /// <c>sampler_X.safetensors</c>), an object <c>X</c> with <c>shapes</c> likewise, and a list entry with <c>file</c>
    /// and <c>shapes</c> to that file. Listed files that are not in the summary's folder are skipped.
    /// </summary>
    [Theory]
    [MemberData(nameof(Summaries))]
    public void ShapesAgreeWithFixtureSummary(string relative)
    {
        var summaryPath = FixtureCatalog.Full(relative);
        var folder = Path.GetDirectoryName(summaryPath)!;
        using var doc = JsonDocument.Parse(PythonJson.Sanitize(File.ReadAllText(summaryPath)));
        var listsShapes = false;
        var checkedCount = 0;
        Visit(doc.RootElement, parentKey: null);
        if (listsShapes) Assert.True(checkedCount > 0, "the summary lists shapes but none could be checked");

        void Visit(JsonElement node, string? parentKey)
        {
            if (node.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in node.EnumerateArray()) Visit(item, parentKey);
                return;
            }
            if (node.ValueKind != JsonValueKind.Object) return;
            foreach (var property in node.EnumerateObject())
            {
                var isShapeMap = property.Value.ValueKind == JsonValueKind.Object &&
                                 (property.Name == "shapes" || property.Name.EndsWith("_shapes", StringComparison.Ordinal));
                if (!isShapeMap)
                {
                    Visit(property.Value, property.Name);
                    continue;
                }
                listsShapes = true;
                string[] candidates;
                if (property.Name == "shapes" && node.TryGetProperty("file", out var fileName) && fileName.ValueKind == JsonValueKind.String)
                {
                    candidates = [fileName.GetString()!];
                }
                else
                {
                    var stem = property.Name == "shapes" ? parentKey : property.Name[..^"_shapes".Length];
                    candidates = [stem + ".safetensors", "sampler_" + stem + ".safetensors"];
                }
                var target = candidates.Select(c => Path.Combine(folder, c)).FirstOrDefault(File.Exists);
                if (target is null) continue;

                using var file = SafetensorsFile.Open(target);
                foreach (var listed in property.Value.EnumerateObject())
                {
                    Assert.True(file.Contains(listed.Name), $"{target} lacks '{listed.Name}' listed in {relative}");
                    var shape = listed.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray();
                    Assert.Equal(shape, file.GetInfo(listed.Name).Shape);
                    checkedCount++;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void RewritingGivesIdenticalTensorsAndMetadata(string relative)
    {
        var path = FixtureCatalog.Full(relative);
        using var dir = new TempDirectory();
        var copyPath = dir.File("copy.safetensors");
        using (var original = SafetensorsFile.Open(path))
        {
            var writer = new SafetensorsWriter();
            foreach (var (key, value) in original.Metadata) writer.SetMetadata(key, value);
            foreach (var name in original.TensorNames) writer.AddCopy(original, name);
            writer.Save(copyPath);

            using var copy = SafetensorsFile.Open(copyPath);
            Assert.Equal(original.Tensors.Keys.Order(StringComparer.Ordinal), copy.Tensors.Keys.Order(StringComparer.Ordinal));
            foreach (var name in original.TensorNames)
            {
                var a = original.GetInfo(name);
                var b = copy.GetInfo(name);
                Assert.Equal(a.DType, b.DType);
                Assert.Equal(a.Shape, b.Shape);
                Assert.True(original.GetBytes(name).SequenceEqual(copy.GetBytes(name)), $"bytes of '{name}' differ");
                Assert.Equal(0, b.DataOffset % b.DType.ElementSize());
            }
            Assert.Equal(original.Metadata.OrderBy(kv => kv.Key), copy.Metadata.OrderBy(kv => kv.Key));
        }
        Assert.Equal(["copy.safetensors"], dir.FileNames());
    }

    /// <summary>
    /// When a fixture already has the layout the Rust crate produces (tensor order by dtype rank then name, metadata
    /// keys in sorted order), our writer must reproduce it byte for byte: same compact JSON, same padding.
    /// </summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void RewritingAFileInCrateLayoutIsByteIdentical(string relative)
    {
        var path = FixtureCatalog.Full(relative);
        var independent = IndependentHeader.Load(path);
        var crateOrder = independent.Entries
            .OrderByDescending(e => CrateRank(e.DType))
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .Select(e => e.Name);
        var fileOrder = independent.Entries.OrderBy(e => e.Begin).ThenBy(e => e.End).Select(e => e.Name);
        var metadataSorted = independent.Metadata.Select(kv => kv.Key).SequenceEqual(
            independent.Metadata.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        if (!crateOrder.SequenceEqual(fileOrder) || !metadataSorted) return; // not in crate layout: nothing to compare

        using var original = SafetensorsFile.Open(path);
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in original.Metadata) writer.SetMetadata(key, value);
        foreach (var name in original.TensorNames) writer.AddCopy(original, name);
        Assert.Equal(independent.FileBytes, writer.ToArray());
    }

    [Fact]
    public void Bf16ModelIsTheRoundedF32Model()
    {
        var bf16Path = FixturePaths.Fixture("models", "dream-tiny-bf16", "model.safetensors");
        var f32Path = FixturePaths.Fixture("models", "dream-tiny", "model.safetensors");
        using var bf16 = SafetensorsFile.Open(bf16Path);
        using var f32 = SafetensorsFile.Open(f32Path);
        Assert.Equal(f32.Tensors.Keys.Order(), bf16.Tensors.Keys.Order());
        foreach (var name in f32.TensorNames)
        {
            Assert.Equal(SafetensorsDType.BF16, bf16.GetInfo(name).DType);
            var full = f32.ReadFloat32(name);
            var raw = bf16.GetBytes(name);
            var widened = bf16.ReadAsFloat32(name);
            for (var i = 0; i < full.Length; i++)
            {
                var bits = BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]);
                Assert.Equal(bits, SafetensorsConversions.SingleToBFloat16Bits(full[i]));
                Assert.Equal(SafetensorsConversions.BFloat16BitsToSingle(bits), widened[i]);
            }
        }
    }

    [Fact]
    public void Float64ScalarMatchesItsMetadata()
    {
        foreach (var variant in new[] { "mdlm-tiny", "mdlm-tiny-timecond" })
        {
            using var file = SafetensorsFile.Open(FixturePaths.Fixture("models", variant, "sampler_step.safetensors"));
            var dt = file.GetInfo("dt");
            Assert.Equal(SafetensorsDType.F64, dt.DType);
            Assert.Equal(0, dt.Rank);
            Assert.Equal(1, dt.ElementCount);
            var steps = double.Parse(file.Metadata["num_steps"], CultureInfo.InvariantCulture);
            var eps = double.Parse(file.Metadata["eps"], CultureInfo.InvariantCulture);
            var value = Assert.Single(file.ReadFloat64("dt"));
            Assert.Equal((1 - eps) / steps, value, 1e-12);
            Assert.Equal((float)value, Assert.Single(file.ReadAsFloat32("dt")));
        }
    }

    private static int CrateRank(string dtype) => Array.IndexOf(
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"], dtype);
}
