using System.Runtime.InteropServices;
using DiffusionSteering.Torch.Safetensors;

namespace DiffusionSteering.Torch.Tests.Safetensors;

/// <summary>Disposal, leases, pointers and lookup errors.</summary>
public sealed class LifetimeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _path;

    public LifetimeTests()
    {
        _path = _dir.File("small.safetensors");
        new SafetensorsWriter()
            .Add("model.w", [2, 3], new[] { 1f, 2f, 3f, 4f, 5f, 6f })
            .Add("ids", [2], new[] { 10L, 20L })
            .Save(_path);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void UseAfterDisposeThrows()
    {
        var file = SafetensorsFile.Open(_path);
        file.Dispose();
        file.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => file.GetBytes("ids").Length);
        Assert.Throws<ObjectDisposedException>(() => file.GetPointer("ids"));
        Assert.Throws<ObjectDisposedException>(() => file.ReadInt64("ids"));
        Assert.Throws<ObjectDisposedException>(() => file.ReadAsFloat32("model.w"));
        Assert.Throws<ObjectDisposedException>(() => file.Tensors);
        Assert.Throws<ObjectDisposedException>(() => file.TensorNames);
        Assert.Throws<ObjectDisposedException>(() => file.Metadata);
        Assert.Equal(_path, file.FilePath); // identity stays readable
        Assert.Throws<ObjectDisposedException>(() => file.Contains("ids"));
        Assert.Throws<ObjectDisposedException>(() => file.AcquireLease());
        Assert.Contains(_path, Assert.Throws<ObjectDisposedException>(() => file.GetInfo("ids")).Message);
    }

    [Fact]
    public void UnknownNameNamesTensorAndFile()
    {
        using var file = SafetensorsFile.Open(_path);
        var ex = Assert.Throws<KeyNotFoundException>(() => file.GetBytes("nope"));
        Assert.Contains("'nope'", ex.Message);
        Assert.Contains(_path, ex.Message);
        var hint = Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("w"));
        Assert.Contains("'model.w'", hint.Message); // suggests the prefixed name
        Assert.False(file.Contains("nope"));
    }

    [Fact]
    public unsafe void PointerAddressesTheSpan()
    {
        using var file = SafetensorsFile.Open(_path);
        var span = file.GetBytes("model.w");
        fixed (byte* first = span) Assert.Equal((IntPtr)first, file.GetPointer("model.w"));
        var copy = new float[6];
        Marshal.Copy(file.GetPointer("model.w"), copy, 0, 6);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], copy);
        var info = file.GetInfo("model.w");
        Assert.Equal(file.DataSectionOffset + info.DataOffset, info.FileOffset);
    }

    [Fact]
    public void LeaseOutlivesTheFile()
    {
        SafetensorsLease lease;
        using (var file = SafetensorsFile.Open(_path)) lease = file.AcquireLease("ids");

        Assert.False(lease.IsDisposed);
        Assert.Equal(_path, lease.FilePath);
        Assert.Equal([10, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0], lease.GetBytes("ids").ToArray());
        var values = new long[2];
        Marshal.Copy(lease.GetPointer("ids"), values, 0, 2);
        Assert.Equal([10L, 20L], values);
        Assert.Throws<KeyNotFoundException>(() => lease.GetPointer("nope"));

        lease.Dispose();
        lease.Dispose(); // idempotent
        Assert.True(lease.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => lease.GetPointer("ids"));
    }

    [Fact]
    public void ManyLeasesReleaseIndependently()
    {
        var file = SafetensorsFile.Open(_path);
        var leases = Enumerable.Range(0, 8).Select(_ => file.AcquireLease()).ToList();
        file.Dispose();
        foreach (var lease in leases.Take(7)) lease.Dispose();
        Assert.Equal(2, leases[7].GetBytes("ids").Length / 8);
        leases[7].Dispose();
    }

    [Fact]
    public void ConcurrentReadsAgree()
    {
        using var file = SafetensorsFile.Open(_path);
        Parallel.For(0, 64, _ =>
        {
            Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], file.ReadFloat32("model.w"));
            using var lease = file.AcquireLease();
            Assert.Equal(16, lease.GetBytes("ids").Length);
        });
    }

    [Fact]
    public void MissingFileThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(_dir.File("absent.safetensors")));

    [Fact]
    public void InfoDescribesTheTensor()
    {
        using var file = SafetensorsFile.Open(_path);
        var info = file.GetInfo("model.w");
        Assert.Equal(2, info.Rank);
        Assert.Equal(6, info.ElementCount);
        Assert.Equal(24, info.ByteLength);
        Assert.Equal([2L, 3L], info.GetShape());
        Assert.Equal([2L, 3L], info.ShapeSpan.ToArray());
        Assert.StartsWith("model.w: F32 [2, 3]", info.ToString());
    }
}
