// Plug a new DLM architecture into DiffusionSteering: implement IDenoiser (here a tiny "bag of neighbours" denoiser,
// one idea: each position's logits come from the embeddings of its unmasked neighbours through one residual block),
// register it with a DenoiserLoader under its model_type, and every sampler, hook and steering tool works with it.
using System.Text.Json.Nodes;
using DiffusionSteering.Diffusion.Models.Checkpoints;
using DiffusionSteering.Diffusion.Models.Denoising;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

var folder = Path.Combine(Path.GetTempPath(), "neighbour-dlm-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(folder);

// 1. Write a checkpoint folder in the Hugging Face layout: config.json + model.safetensors.
manual_seed(0);
var config = new JsonObject { ["model_type"] = "neighbour-dlm", ["vocab_size"] = 64, ["hidden_size"] = 32, ["window"] = 2 };
File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
using (var fresh = new NeighbourDenoiser(64, 32, 2))
using (var scope = NewDisposeScope())
    SafetensorsTorch.Save(Path.Combine(folder, "model.safetensors"), fresh.state_dict());

// 2. Register the architecture on a loader (no global registry: the loader is yours).
var loader = DenoiserLoader.CreateDefault().Register("neighbour-dlm", (path, cfg, options) =>
{
    var model = new NeighbourDenoiser(cfg.GetPositiveInt("vocab_size"), cfg.GetPositiveInt("hidden_size"), cfg.GetPositiveInt("window"));
    using var weights = CheckpointWeights.Open(path);
    weights.LoadInto(model, DenoiserLoader.ResolveDType(cfg, options), options.Device ?? CPU);
    return model;
});

// 3. Load it like any checkpoint, read its residual stream, and sample with LLaDA's sampler.
using var denoiser = loader.Load(folder);
Console.WriteLine($"loaded {denoiser.Spec.ModelType}: vocab {denoiser.Spec.VocabSize}, hidden {denoiser.Spec.HiddenSize}, mask id {denoiser.Spec.MaskTokenId}");
using var noGrad = no_grad();
using var prompt = tensor(new long[] { 5, 6, 7, 8 }, [1, 4]);
var norms = new List<float>();
using (denoiser.Hooks.Add(0, HookPoint.ResidPost, (in HookContext c, Tensor r) => { norms.Add(r.norm().item<float>()); return null; }))
using (var result = new LladaSampler(new LladaSamplerOptions { Steps = 8, GenLength = 8, BlockLength = 8 })
           .Sample(denoiser, new SamplingRequest { PromptIds = prompt }))
{
    Console.WriteLine($"sampled: {string.Join(" ", result.Sequences.data<long>())}");
}
Console.WriteLine($"residual norm at each of {norms.Count} steps: {string.Join(", ", norms.Select(n => n.ToString("F2")))}");
Directory.Delete(folder, recursive: true);

/// <summary>
/// A toy denoiser: h = mean of the embeddings of the unmasked tokens within ±window positions; one residual MLP block
/// (hooked as layer 0); logits = h · Eᵀ. The last vocabulary row is the mask token.
/// </summary>
sealed class NeighbourDenoiser : DenoiserModule
{
    private readonly nn.Embedding _embed;
    private readonly nn.Linear _mlp;
    private readonly int _window;

    public NeighbourDenoiser(int vocab, int hidden, int window)
        : base(nameof(NeighbourDenoiser), new DenoiserSpec("neighbour-dlm", vocab, vocab - 1, 1, hidden, 1024))
    {
        _window = window;
        _embed = new nn.Embedding(vocab, hidden);
        _mlp = new nn.Linear(hidden, hidden);
        register_module("embed", _embed);
        register_module("mlp", _mlp);
    }

    public override Tensor forward(DenoiserInput input)
    {
        ValidateIds(input.InputIds);
        using var scope = NewDisposeScope();
        var visible = input.InputIds.ne(Spec.MaskTokenId).to(ScalarType.Float32).unsqueeze(-1);   // [B, L, 1]
        var e = _embed.forward(input.InputIds) * visible;
        var kernel = ones([1, 1, 2 * _window + 1]);
        // Sum over a window of neighbours via a cumulative sum: s[i] = C[i+w] − C[i−w−1].
        var length = e.size(1);
        var padded = cat([zeros([e.size(0), _window + 1, e.size(2)]), e, zeros([e.size(0), _window, e.size(2)])], 1).cumsum(1);
        var sums = padded.narrow(1, 2 * _window + 1, length) - padded.narrow(1, 0, length);
        var counts = cat([zeros([visible.size(0), _window + 1, 1]), visible, zeros([visible.size(0), _window, 1])], 1).cumsum(1);
        var n = (counts.narrow(1, 2 * _window + 1, length) - counts.narrow(1, 0, length)).clamp_min(1);
        var h = Hooks.Run(0, HookPoint.ResidPre, sums / n);
        h = h + _mlp.forward(h).gelu();
        h = Hooks.Run(0, HookPoint.ResidPost, h);
        return h.matmul(_embed.weight.t()).MoveToOuterDisposeScope();
    }
}
