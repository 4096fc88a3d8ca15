using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class SmokeTests
{
    [Fact]
    public void AddsAndReshapes()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var b = a.view(3, 2);
        Assert.Equal(new long[] { 3, 2 }, b.shape);
        using var c = a + 1.5f;
        Assert.Equal(new float[] { 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f }, c.data<float>());
        using var z = zeros(2, 2);
        Assert.Equal(ScalarType.Float32, z.dtype);
        using var m = a.matmul(a.t());
        Assert.Equal(new float[] { 14, 32, 32, 77 }, m.data<float>());
        var ex = Assert.Throws<TorchException>(() => a.matmul(a));
        Assert.Contains("shape", ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}
