using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;
using static DiffusionSteering.Diffusion.Models.Tests.Models.ModelFixtures;

namespace DiffusionSteering.Diffusion.Models.Tests.Models;

/// <summary>Residual hooks read the recorded states, replace them exactly, and steer downstream logits.</summary>
public class HookTests
{
    public static IEnumerable<object[]> Folders() => ForwardFolders().Where(f => !((string)f[0]).Contains("bf16"));

    private static DenoiserInput InputFor(string folder, Dictionary<string, Tensor> expected) => ModelType(folder) switch
    {
        "llada" => new DenoiserInput(expected["input_ids"]) { AttentionMask = expected.GetValueOrDefault("attention_mask") },
        "dream" => new DenoiserInput(expected["input_ids"]) { AttentionMask4D = expected.GetValueOrDefault("attention_mask_4d"), PositionIds = expected.GetValueOrDefault("position_ids") },
        _ => new DenoiserInput(expected["input_ids"]) { NoiseLevel = expected["sigma"] },
    };

    [Theory]
    [MemberData(nameof(Folders))]
    public void ReadingBlockOutputEqualsTheRecordedHiddenState(string folder)
    {
        using var scope = NewDisposeScope();
        var expected = Tensors(folder, "forward.safetensors");
        using var model = Load(folder);
        using var noGrad = no_grad();
        Tensor? seen = null;
        using (model.Hooks.Add(0, HookPoint.ResidPost, (in HookContext c, Tensor r) => { seen = r.clone().DetachFromDisposeScope(); return null; }))
            model.Forward(InputFor(folder, expected));
        Assert.NotNull(seen);
        // resid_post.0 where recorded; MDLM records block outputs as hidden_states.1.
        var reference = expected.GetValueOrDefault("resid_post.0") ?? expected["hidden_states.1"];
        using (seen) Assert.True(MaxAbsDiff(seen!, reference) <= 1e-4);
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void ReplacingWithItselfIsBitIdenticalAndAddingChangesLogits(string folder)
    {
        using var scope = NewDisposeScope();
        var expected = Tensors(folder, "forward.safetensors");
        using var model = Load(folder);
        using var noGrad = no_grad();
        var input = InputFor(folder, expected);
        var clean = model.Forward(input);
        Tensor identity;
        using (model.Hooks.Add(0, HookPoint.ResidMid, (in HookContext c, Tensor r) => r.clone()))
            identity = model.Forward(input);
        Assert.True(identity.equal(clean), "replacing the residual with a copy of itself changed the logits");

        var direction = randn(model.Spec.HiddenSize);
        Tensor steered;
        using (model.Hooks.Add(0, HookPoint.ResidPost, (in HookContext c, Tensor r) => r + direction))
            steered = model.Forward(input);
        Assert.True(MaxAbsDiff(steered, clean) > 1e-3, "adding a vector to the residual did not change the logits");
        // Hooks are removed when their handle is disposed.
        Assert.True(model.Forward(input).equal(clean));
    }

    [Fact]
    public void HookRejectsAWrongShapeAndBadLayer()
    {
        using var checkpoint = new TempCheckpoint();
        using var model = DiffusionSteering.Diffusion.Models.Checkpoints.DenoiserLoader.CreateDefault().Load(checkpoint.Folder);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Hooks.Add(2, HookPoint.ResidPost, (in HookContext c, Tensor r) => null));
        using var ids = tensor(new long[] { 1, 2, 3 }, [1, 3]);
        using (model.Hooks.Add(1, HookPoint.ResidPre, (in HookContext c, Tensor r) => r.narrow(1, 0, 2)))
        {
            var e = Assert.Throws<InvalidOperationException>(() => model.Forward(new DenoiserInput(ids)));
            Assert.Contains("returned shape", e.Message);
        }
    }
}
