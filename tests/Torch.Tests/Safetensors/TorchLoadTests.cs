using DiffusionSteering.Torch.Safetensors;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>SafetensorsTorch.LoadTensor: zero-copy views of the (copy-on-write) mapping and copies through it.</summary>
public sealed class TorchLoadTests : IDisposable
{
    private static readonly float[] Values = [1f, 2f, 3f, 4f, 5f, 6f];
    private readonly TempDirectory _dir = new();
    private readonly string _path;

    public TorchLoadTests()
    {
        _path = _dir.File("w.safetensors");
        new SafetensorsWriter().Add("model.w", [2, 3], Values).Save(_path);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ZeroCopyTensorViewsTheMappingAndCanBeWrittenWithoutTouchingTheFile()
    {
        var before = File.ReadAllBytes(_path);
        using var file = SafetensorsFile.Open(_path);
        using var t = file.LoadTensor("model.w", copy: false);
        Assert.Equal(file.GetPointer("model.w"), t.data_ptr());
        Assert.Equal(Values, t.data<float>());

        t.add_(10); // would crash on a read-only mapping; copy-on-write keeps the change private
        Assert.Equal(Values.Select(v => v + 10).ToArray(), t.data<float>());

        Assert.Equal(before, File.ReadAllBytes(_path));
        using var again = SafetensorsFile.Open(_path); // a new mapping sees the file, not the private pages
        Assert.Equal(Values, again.ReadFloat32("model.w"));
    }

    [Fact]
    public void ZeroCopyTensorOutlivesTheFileObject()
    {
        Tensor t;
        using (var file = SafetensorsFile.Open(_path)) t = file.LoadTensor("model.w", copy: false);
        using (t)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.Equal(Values, t.data<float>());
            t.mul_(2);
            Assert.Equal(Values.Select(v => v * 2).ToArray(), t.data<float>());
        }
    }

    [Fact]
    public void CopiesAndConversionsOwnTheirMemory()
    {
        Tensor same, converted;
        IntPtr mapped;
        using (var file = SafetensorsFile.Open(_path))
        {
            mapped = file.GetPointer("model.w");
            same = file.LoadTensor("model.w");
            converted = file.LoadTensor("model.w", ScalarType.Float64, copy: false); // conversion always copies
        }
        using (same)
        using (converted)
        {
            Assert.NotEqual(mapped, same.data_ptr());
            Assert.Equal(Values, same.data<float>());
            Assert.Equal(Values.Select(v => (double)v).ToArray(), converted.data<double>());
            same.add_(1);
            Assert.Equal(Values.Select(v => v + 1).ToArray(), same.data<float>());
        }
        using var reopened = SafetensorsFile.Open(_path);
        Assert.Equal(Values, reopened.ReadFloat32("model.w"));
    }

    [Fact]
    public void MisalignedTensorIsCopiedEvenWithoutCopy()
    {
        // U8 [1] at data offset 0, F32 [1] at offset 1: the float is not 4-byte aligned in memory.
        var json = """{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}""";
        json = json.PadRight((json.Length + 7) / 8 * 8);
        var path = CraftedFile.Write(_dir, "misaligned.safetensors", CraftedFile.FromJson(json, 5));
        using var file = SafetensorsFile.Open(path);
        Assert.NotEqual(0, file.GetPointer("b") % 4);
        using var b = file.LoadTensor("b", copy: false);
        Assert.NotEqual(file.GetPointer("b"), b.data_ptr());
        Assert.Equal(BitConverter.ToSingle([1, 2, 3, 4]), b.data<float>()[0]);
        using var a = file.LoadTensor("a", copy: false);
        Assert.Equal(file.GetPointer("a"), a.data_ptr()); // bytes are always aligned
    }

    [Fact]
    public void EmptyTensorLoadsInEveryMode()
    {
        var path = _dir.File("empty.safetensors");
        new SafetensorsWriter().Add("e", [0, 3], Array.Empty<float>()).Save(path);
        using var file = SafetensorsFile.Open(path);
        using var zeroCopy = file.LoadTensor("e", copy: false);
        using var converted = file.LoadTensor("e", ScalarType.BFloat16);
        Assert.Equal([0L, 3L], zeroCopy.shape);
        Assert.Equal(ScalarType.BFloat16, converted.dtype);
    }
}
