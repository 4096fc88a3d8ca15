using DiffusionSteering.Diffusion.Models.Architectures.Mdlm;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;
using static DiffusionSteering.Diffusion.Models.Tests.Models.ModelFixtures;
using static DiffusionSteering.Diffusion.Models.Tests.Sampling.SamplerFixtures;

namespace DiffusionSteering.Diffusion.Models.Tests.Sampling;

/// <summary>Every sampler fixture is reproduced token for token, whole trajectory included.</summary>
public class SamplerParityTests
{
    public static IEnumerable<object[]> LladaFiles() => Files("llada");
    public static IEnumerable<object[]> DreamFiles() => Files("dream");
    public static IEnumerable<object[]> MdlmFiles() => Files("mdlm", "sampler_step*.safetensors");

    private static void AssertTrajectory(Dictionary<string, Tensor> expected, SamplingResult result, StepRecorder recorder, string logitsKey)
    {
        var trajectory = expected["trajectory"];
        Assert.NotNull(result.Trajectory);
        Assert.Equal(trajectory.size(0), result.Trajectory!.Count);
        for (var i = 0; i < result.Trajectory.Count; i++)
        {
            using var row = trajectory[i];
            Assert.True(row.equal(result.Trajectory[i]), $"trajectory row {i} differs: expected {string.Join(",", row.data<long>())}, got {string.Join(",", result.Trajectory[i].data<long>())}");
        }
        Assert.True(expected["final"].equal(result.Sequences), "final sequence differs");
        var steps = expected[logitsKey];
        Assert.Equal(steps.size(0), recorder.Logits.Count);
        for (var i = 0; i < recorder.Logits.Count; i++)
        {
            using var reference = steps[i];
            var diff = MaxAbsDiff(recorder.Logits[i], reference);
            Assert.True(diff <= 1e-4, $"step {i} logits differ by {diff}");
        }
    }

    [Theory]
    [MemberData(nameof(LladaFiles))]
    public void LladaGenerateMatches(string folder, string file)
    {
        using var scope = NewDisposeScope();
        var m = Metadata(folder, file);
        var expected = Tensors(folder, file);
        using var model = Load(folder);
        using var noGrad = no_grad();
        var options = new LladaSamplerOptions
        {
            Steps = Int(m, "steps"),
            GenLength = Int(m, "gen_length"),
            BlockLength = Int(m, "block_length"),
            Temperature = Double(m, "temperature"),
            CfgScale = Double(m, "cfg_scale"),
            Remasking = m["remasking"] == "random" ? LladaRemasking.Random : LladaRemasking.LowConfidence,
        };
        using var generator = m.TryGetValue("rng_seed", out var seed) ? new Generator(ulong.Parse(seed)) : null;
        using var recorder = new StepRecorder();
        using var result = new LladaSampler(options).Sample(model, new SamplingRequest
        {
            PromptIds = expected["prompt_ids"],
            AttentionMask = expected.GetValueOrDefault("attention_mask"),
            Generator = generator,
            Observers = [recorder],
            RecordTrajectory = true,
        });
        AssertTrajectory(expected, result, recorder, "step_logits");
    }

    [Theory]
    [MemberData(nameof(DreamFiles))]
    public void DreamDiffusionGenerateMatches(string folder, string file)
    {
        using var scope = NewDisposeScope();
        var m = Metadata(folder, file);
        var expected = Tensors(folder, file);
        using var model = Load(folder);
        using var noGrad = no_grad();
        var defaults = m.TryGetValue("default_filters", out var d) && d == "True";
        var options = new DreamSamplerOptions
        {
            Steps = Int(m, "steps"),
            MaxNewTokens = Int(m, "max_new_tokens"),
            Eps = Double(m, "eps", 1e-3),
            Temperature = Double(m, "temperature"),
            AlgTemp = Double(m, "alg_temp"),
            Algorithm = m["alg"] switch
            {
                "origin" => DreamAlgorithm.Origin,
                "maskgit_plus" => DreamAlgorithm.MaskgitPlus,
                "topk_margin" => DreamAlgorithm.TopkMargin,
                "entropy" => DreamAlgorithm.Entropy,
                var a => throw new InvalidOperationException($"unknown alg {a}"),
            },
            TopP = defaults ? null : Optional(m, "top_p"),
            TopK = defaults ? new DreamSamplerOptions().TopK : (int?)Optional(m, "top_k"),
        };
        using var generator = m.TryGetValue("rng_seed", out var seed) ? new Generator(ulong.Parse(seed)) : null;
        using var recorder = new StepRecorder();
        using var result = new DreamSampler(options).Sample(model, new SamplingRequest
        {
            PromptIds = expected["prompt_ids"],
            AttentionMask = expected.GetValueOrDefault("attention_mask"),
            Generator = generator,
            Observers = [recorder],
            RecordTrajectory = true,
        });
        AssertTrajectory(expected, result, recorder, "step_logits_shifted");
    }

    [Theory]
    [MemberData(nameof(MdlmFiles))]
    public void MdlmReverseStepMatches(string folder, string file)
    {
        using var scope = NewDisposeScope();
        var m = Metadata(folder, file);
        var expected = Tensors(folder, file);
        using var model = Load(folder);
        using var noGrad = no_grad();
        var noise = new LogLinearNoise();
        var steps = Int(m, "num_steps");
        var eps = Double(m, "eps");
        var maskId = model.Spec.MaskTokenId;
        Assert.Equal(long.Parse(m["mask_index"]), maskId);

        var timesteps = linspace(1, eps, steps + 1, ScalarType.Float32);
        Assert.True(timesteps.equal(expected["timesteps"]), "time grid differs");
        var dt = (1 - eps) / steps;
        Assert.Equal(expected["dt"].item<double>(), dt, 15);
        var xt = expected["x_t"];
        var t = expected["t"];
        var sigma = MdlmSampler.Sigma(noise, t);
        Assert.True(MaxAbsDiff(sigma, expected["sigma_t"]) <= 1e-6);
        var pX0 = MdlmSampler.PredictX0(model, xt, sigma.squeeze(-1));
        AssertSubsClose(model.PredictionLogProbs(model.Forward(new Denoising.DenoiserInput(xt) { NoiseLevel = sigma.squeeze(-1) }), xt), expected["subs_log_probs"], 1e-4);
        Assert.True(MaxAbsDiff(pX0, expected["p_x0"]) <= 1e-4);

        var qCache = MdlmSampler.CachingTransition(pX0, t, dt, maskId);
        Assert.True(MaxAbsDiff(qCache, expected["q_xs_cache"]) <= 1e-4);
        using (var g = new Generator(ulong.Parse(m["rng_seed_cache"])))
        {
            var u = rand(qCache.shape, qCache.dtype, generator: g);
            Assert.True(u.equal(expected["uniform_noise_cache"]), "libtorch's generator does not reproduce the reference draw");
        }
        var next = MdlmSampler.CarryOver(xt, MdlmSampler.SampleCategorical(qCache, expected["uniform_noise_cache"]), maskId);
        Assert.True(next.equal(expected["x_next_cache"]), "x_next (ddpm_cache) differs");

        var qDdpm = MdlmSampler.DdpmTransition(pX0, t, dt, maskId, noise);
        Assert.True(MaxAbsDiff(qDdpm, expected["q_xs_ddpm"]) <= 1e-4);
        var nextDdpm = MdlmSampler.CarryOver(xt, MdlmSampler.SampleCategorical(qDdpm, expected["uniform_noise_ddpm"]), maskId);
        Assert.True(nextDdpm.equal(expected["x_next_ddpm"]), "x_next (ddpm) differs");

        var sigmaLast = MdlmSampler.Sigma(noise, expected["t_last"]).squeeze(-1);
        var denoised = model.PredictionLogProbs(model.Forward(new Denoising.DenoiserInput(xt) { NoiseLevel = sigmaLast }), xt).argmax(-1);
        Assert.True(denoised.equal(expected["x_denoised_argmax"]), "noise-removal argmax differs");
    }
}
