using DiffusionSteering.Sae.Core.Architectures;
using DiffusionSteering.Sae.Core.Formats;
using DiffusionSteering.Tests;
using DiffusionSteering.Torch;
using DiffusionSteering.Torch.Serialization;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Formats;

/// <summary>Every SAE fixture loads and reproduces its reference library's encode/decode/forward outputs.</summary>
public class SaeFixtureTests
{
    private const double Tolerance = 1e-5;

    /// <summary>Folders holding an SAE (cfg.json/config.json) and io.safetensors, relative to fixtures/sae.</summary>
    public static IEnumerable<object[]> Folders() =>
        Directory.GetFiles(FixturePaths.Fixture("sae"), "io.safetensors", SearchOption.AllDirectories)
            .Select(f => new object[] { Path.GetRelativePath(FixturePaths.Fixture("sae"), Path.GetDirectoryName(f)!) })
            .OrderBy(x => (string)x[0], StringComparer.Ordinal);

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var scope = NewDisposeScope();
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }

    private static void Close(Tensor actual, Tensor expected, string what)
    {
        var diff = MaxAbsDiff(actual, expected);
        Assert.True(diff <= Tolerance, $"{what}: max abs diff {diff} > {Tolerance}");
    }

    /// <summary>Compares top-k outputs as (index, value) sets: sorted by index on both sides.</summary>
    private static void SameSparseSet(Tensor values, Tensor indices, Tensor expectedValues, Tensor expectedIndices, string what)
    {
        using var scope = NewDisposeScope();
        var (sortedIdx, order) = indices.sort(-1);
        var (expIdx, expOrder) = expectedIndices.sort(-1);
        Assert.True(sortedIdx.equal(expIdx), $"{what}: selected latents differ");
        Close(values.gather(-1, order), expectedValues.gather(-1, expOrder), what + " values");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void ReproducesTheReferenceOutputs(string relative)
    {
        var folder = FixturePaths.Fixture("sae", relative);
        using var scope = NewDisposeScope();
        var io = SafetensorsTorch.Load(Path.Combine(folder, "io.safetensors"));
        using var sae = SaeLoader.Load(folder);
        using var noGrad = no_grad();
        var x = io["x"];
        Assert.Equal(x.size(-1), sae.DIn);
        switch (SaeLoader.Detect(folder))
        {
            case SaeFormat.DictionaryLearning:
                Close(sae.DenseEncode(x), io["post_relu_pre_acts"], "post_relu_pre_acts");
                Close(sae.Encode(x), io["latents"], "latents");
                var code = sae.EncodeSparse(x);
                SameSparseSet(code.Values, code.Indices, io["top_acts_sorted"], io["top_indices_sorted"], "top-k");
                Close(sae.EncodeWithThreshold(x), io["latents_use_threshold"], "latents_use_threshold");
                Close(sae.Decode(io["latents"]), io["decoded"], "decoded");
                var (forward, features) = sae.Forward(x);
                Close(forward, io["forward"], "forward");
                Close(features, io["forward_features"], "forward_features");
                break;
            case SaeFormat.SaeLens:
                Close(sae.Encode(x), io["encode"], "encode");
                Close(sae.Decode(io["encode"]), io["decode"], "decode");
                Close(sae.Forward(x).reconstruction, io["forward"], "forward");
                break;
            case SaeFormat.Sparsify:
                Close(sae.DenseEncode(x), io["pre_acts"], "pre_acts");
                var sparse = sae.EncodeSparse(x);
                SameSparseSet(sparse.Values, sparse.Indices, io["top_acts_sorted"], io["top_indices_sorted"], "top-k");
                Close(sae.Encode(x), io["latents_dense"], "latents_dense");
                Close(sae.Decode(sparse), io["decode"], "decode (sparse)");
                var (reconstruction, _) = sae.Forward(x);
                Close(reconstruction, io["forward_sae_out"], "forward_sae_out");
                SameSparseSet(sparse.Values, sparse.Indices, io["forward_latent_acts_sorted"], io["forward_latent_indices_sorted"], "forward latents");
                // FVU = Σ(y − ŷ)² / Σ(y − mean_batch(y))² (sparsify).
                var fvu = (x - reconstruction).square().sum() / (x - x.mean(0, keepdim: true)).square().sum();
                Close(fvu.reshape(1), io["forward_fvu"], "forward_fvu");
                break;
        }
        foreach (var t in io.Values) t.Dispose();
    }

    [Fact]
    public void TheThreeTopKCopiesAreTheSameSae()
    {
        using var scope = NewDisposeScope();
        using var a = SaeLoader.Load(FixturePaths.Fixture("sae", "dictionary_learning", "resid_post_layer_1", "trainer_0"));
        using var b = SaeLoader.Load(FixturePaths.Fixture("sae", "saelens_topk"));
        using var c = SaeLoader.Load(FixturePaths.Fixture("sae", "sparsify", "layers.1"));
        Assert.True(a.W_enc.equal(b.W_enc) && a.W_enc.equal(c.W_enc));
        Assert.True(a.W_dec.equal(b.W_dec) && a.W_dec.equal(c.W_dec));
        Assert.Equal(1, a.Metadata.Layer);
        Assert.Equal("mask", a.Metadata.PositionPolicy);
        Assert.Equal(0.05, a.Metadata.MaskRateMin);
        Assert.Equal(1, b.Metadata.Layer);
    }

    [Fact]
    public void SaeLensRoundTripIsExactAndKeepsTheDlmMetadata()
    {
        using var scope = NewDisposeScope();
        using var original = SaeLoader.Load(FixturePaths.Fixture("sae", "dictionary_learning", "resid_post_layer_1", "trainer_0"));
        var folder = Path.Combine(Path.GetTempPath(), "sae-rt-" + Guid.NewGuid().ToString("N"));
        try
        {
            SaeLensFormat.Save(original, folder);
            using var copy = SaeLoader.Load(folder);
            Assert.Equal(SaeFormat.SaeLens, SaeLoader.Detect(folder));
            Assert.True(copy.W_enc.equal(original.W_enc) && copy.W_dec.equal(original.W_dec) && copy.b_enc.equal(original.b_enc) && copy.b_dec.equal(original.b_dec));
            Assert.Equal(original.Config.K, copy.Config.K);
            Assert.Equal("mask", copy.Metadata.PositionPolicy);
            Assert.Equal(0.5, copy.Metadata.MaskRateMax);
            Assert.Equal(1, copy.Metadata.Layer);
            using var x = randn(5, original.DIn);
            Assert.True(copy.Encode(x).equal(original.Encode(x)));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
