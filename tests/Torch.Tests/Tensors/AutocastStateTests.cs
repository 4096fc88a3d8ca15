using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Torch.Tests.Tensors;

public class AutocastStateTests
{
    [Fact]
    public void StateFollowsTheScopes()
    {
        Assert.False(is_autocast_enabled(DeviceType.CPU));
        using (autocast(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.True(is_autocast_enabled(DeviceType.CPU));
            Assert.Equal(ScalarType.BFloat16, get_autocast_dtype(DeviceType.CPU));
            Assert.False(is_autocast_enabled(DeviceType.CUDA));
            using (autocast(DeviceType.CPU, enabled: false)) Assert.False(is_autocast_enabled());
            Assert.True(is_autocast_enabled());
            using var x = ones([2, 2]);
            using var y = x.matmul(x);
            Assert.Equal(ScalarType.BFloat16, y.dtype);
        }
        Assert.False(is_autocast_enabled(DeviceType.CPU));
        Assert.Throws<ArgumentException>(() => is_autocast_enabled(DeviceType.Meta));
    }
}
