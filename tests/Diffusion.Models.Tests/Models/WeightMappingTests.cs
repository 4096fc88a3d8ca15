using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;
using static DiffusionSteering.Diffusion.Models.Tests.Models.ModelFixtures;

namespace DiffusionSteering.Diffusion.Models.Tests.Models;

/// <summary>
/// DenoiserLoadOptions.MemoryMapWeights: weights viewing the copy-on-write mapping (default) and copied weights are
/// the same values, and changing a mapped weight changes neither the file nor another load of it.
/// </summary>
public class WeightMappingTests
{
    public static IEnumerable<object[]> Folders() => ForwardFolders();

    [Theory]
    [MemberData(nameof(Folders))]
    public void MappedAndCopiedWeightsAreIdentical(string folder)
    {
        using var mapped = Load(folder);
        using var copied = Load(folder, new DenoiserLoadOptions { MemoryMapWeights = false });
        var a = ((nn.Module)mapped).state_dict();
        var b = ((nn.Module)copied).state_dict();
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        foreach (var (name, value) in a)
        {
            Assert.Equal(b[name].dtype, value.dtype);
            Assert.True(value.equal(b[name]), $"{folder}: {name} differs between mapped and copied loads");
        }
        foreach (var t in a.Values.Concat(b.Values)) t.Dispose();
    }

    [Fact]
    public void ChangingAMappedWeightLeavesTheFileAndOtherLoadsAlone()
    {
        using var checkpoint = new TempCheckpoint();
        var before = File.ReadAllBytes(checkpoint.WeightsPath);
        var loader = DenoiserLoader.CreateDefault();
        using var model = loader.Load(checkpoint.Folder);
        using var other = loader.Load(checkpoint.Folder);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        const string name = "model.transformer.blocks.0.q_proj.weight";
        var weight = ((nn.Module)model).named_parameters().Single(p => p.name == name).parameter;
        var untouched = ((nn.Module)other).named_parameters().Single(p => p.name == name).parameter;
        using (no_grad()) weight.add_(1.0); // in place on a weight that views the file (copy-on-write)

        using var scope = NewDisposeScope();
        Assert.True((weight - untouched).sub(1.0).abs().max().item<float>() < 1e-6f);
        Assert.Equal(before, File.ReadAllBytes(checkpoint.WeightsPath));
        using var reloaded = loader.Load(checkpoint.Folder, new DenoiserLoadOptions { MemoryMapWeights = false });
        var fresh = ((nn.Module)reloaded).named_parameters().Single(p => p.name == name).parameter;
        Assert.True(fresh.equal(untouched));

        using var noGrad = no_grad();
        var ids = tensor(new long[] { 1, 2, 3, 4 }).unsqueeze(0);
        var changed = model.Forward(new DenoiserInput(ids));
        var original = other.Forward(new DenoiserInput(ids));
        Assert.False(changed.equal(original));
        Assert.True(original.equal(reloaded.Forward(new DenoiserInput(ids))));
    }
}
