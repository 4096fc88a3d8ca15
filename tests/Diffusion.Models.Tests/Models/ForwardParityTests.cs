using DiffusionSteering.Diffusion.Models.Architectures.Dream;
using DiffusionSteering.Diffusion.Models.Architectures.Llada;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;
using static DiffusionSteering.Diffusion.Models.Tests.Models.ModelFixtures;

namespace DiffusionSteering.Diffusion.Models.Tests.Models;

/// <summary>Every fixture model reproduces the reference implementation's logits and hidden states.</summary>
public class ForwardParityTests
{
    private const double Fp32Tolerance = 1e-4;

    public static IEnumerable<object[]> Folders() => ForwardFolders();

    [Theory]
    [MemberData(nameof(Folders))]
    public void ForwardMatchesReference(string folder)
    {
        using var scope = NewDisposeScope();
        var expected = Tensors(folder, "forward.safetensors");
        using var model = Load(folder);
        var isBf16 = model.DType == ScalarType.BFloat16;
        using var recorder = new ResidualRecorder(model);
        using var noGrad = no_grad();
        var ids = expected["input_ids"];
        var logits = ModelType(folder) switch
        {
            "llada" => model.Forward(new DenoiserInput(ids) { AttentionMask = expected.GetValueOrDefault("attention_mask") }),
            "dream" => model.Forward(new DenoiserInput(ids)
            {
                AttentionMask4D = expected.GetValueOrDefault("attention_mask_4d"),
                PositionIds = expected.GetValueOrDefault("position_ids"),
            }),
            "mdlm" => model.Forward(new DenoiserInput(ids) { NoiseLevel = expected["sigma"] }),
            var other => throw new InvalidOperationException($"no parity rule for model type {other}"),
        };
        var checks = new List<(string name, Tensor actual)> { ("logits", logits) };
        var n = model.Spec.NumLayers;
        var captured = recorder.Captured;
        for (var i = 0; i < n; i++)
        {
            checks.Add(($"resid_mid.{i}", captured[(i, HookPoint.ResidMid)]));
            if (expected.ContainsKey($"resid_post.{i}")) checks.Add(($"resid_post.{i}", captured[(i, HookPoint.ResidPost)]));
        }
        checks.Add(("hidden_states.0", captured[(0, HookPoint.ResidPre)]));
        if (ModelType(folder) == "mdlm")
        {
            // HF MDLM convention: hidden_states.{i+1} = output of block i, no final-norm entry.
            for (var i = 0; i < n; i++) checks.Add(($"hidden_states.{i + 1}", captured[(i, HookPoint.ResidPost)]));
        }
        else
        {
            // LLaDA/Dream: hidden_states.i = input of block i; the last entry is after the final norm.
            for (var i = 1; i < n; i++) checks.Add(($"hidden_states.{i}", captured[(i, HookPoint.ResidPre)]));
            var last = captured[(n - 1, HookPoint.ResidPost)];
            var finalNorm = model switch
            {
                LladaModel l => l.FinalNorm(last),
                DreamModel d => d.FinalNorm(last),
                _ => throw new InvalidOperationException(),
            };
            checks.Add(($"hidden_states.{n}", finalNorm));
        }
        if (model is DreamModel && expected.ContainsKey("logits_shifted")) checks.Add(("logits_shifted", DreamModel.ShiftLogits(logits)));

        foreach (var (name, actual) in checks)
        {
            Assert.True(expected.ContainsKey(name), $"{folder}: fixture has no '{name}'");
            var reference = expected[name];
            if (isBf16)
            {
                var isLogits = name.StartsWith("logits", StringComparison.Ordinal);
                var (maxTol, meanTol) = isLogits ? (0.5, 0.06) : (0.15, 0.02);
                Assert.True(MaxAbsDiff(actual, reference) <= maxTol, $"{folder} {name}: max abs diff {MaxAbsDiff(actual, reference)} > {maxTol}");
                Assert.True(MeanAbsDiff(actual, reference) <= meanTol, $"{folder} {name}: mean abs diff {MeanAbsDiff(actual, reference)} > {meanTol}");
            }
            else
            {
                var diff = MaxAbsDiff(actual, reference);
                Assert.True(diff <= Fp32Tolerance, $"{folder} {name}: max abs diff {diff} > {Fp32Tolerance}");
            }
        }

        if (expected.TryGetValue("logits_no_attention_mask", out var unmasked))
        {
            var plain = model.Forward(new DenoiserInput(ids));
            var diff = MaxAbsDiff(plain, unmasked);
            Assert.True(diff <= (isBf16 ? 0.5 : Fp32Tolerance), $"{folder} logits_no_attention_mask: max abs diff {diff}");
        }
        if (expected.TryGetValue("subs_log_probs", out var subs))
            AssertSubsClose(model.PredictionLogProbs(logits, ids), subs, Fp32Tolerance);
        foreach (var t in expected.Values) t.Dispose();
    }

    [Fact]
    public void ShardedCheckpointGivesTheSameLogits()
    {
        var sharded = Directory.GetDirectories(FixturePaths_Models()).Where(d => File.Exists(Path.Combine(d, "model.safetensors.index.json"))).ToList();
        Assert.NotEmpty(sharded);
        foreach (var folder in sharded)
        {
            var name = Path.GetFileName(folder);
            var single = name.Replace("-sharded", "", StringComparison.Ordinal);
            using var scope = NewDisposeScope();
            var expected = Tensors(single, "forward.safetensors");
            using var a = Load(name);
            using var b = Load(single);
            using var noGrad = no_grad();
            var input = new DenoiserInput(expected["input_ids"]) { AttentionMask = expected.GetValueOrDefault("attention_mask") };
            Assert.True(a.Forward(input).equal(b.Forward(input)), $"{name} differs from {single}");
            Assert.True(MaxAbsDiff(a.Forward(input), expected["logits"]) <= Fp32Tolerance);
        }
    }

    [Fact]
    public void MdlmUnderBf16AutocastStaysCloseToFloat32()
    {
        using var scope = NewDisposeScope();
        var expected = Tensors("mdlm-tiny", "forward.safetensors");
        using var model = Load("mdlm-tiny");
        using var noGrad = no_grad();
        var input = new DenoiserInput(expected["input_ids"]) { NoiseLevel = expected["sigma"] };
        Tensor logits;
        using (autocast(DeviceType.CPU, ScalarType.BFloat16)) logits = model.Forward(input);
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.Equal(ScalarType.Float32, model.DType);
        Assert.True(MaxAbsDiff(logits, expected["logits"]) <= 0.5, $"max abs diff {MaxAbsDiff(logits, expected["logits"])}");
        Assert.True(MeanAbsDiff(logits, expected["logits"]) <= 0.06, $"mean abs diff {MeanAbsDiff(logits, expected["logits"])}");
    }

    private static string FixturePaths_Models() => DiffusionSteering.Tests.FixturePaths.Fixture("models");
}
