using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Tests.Training;

/// <summary>
/// Synthetic activations x = Σᵢ aᵢ fᵢ + noise over a planted dictionary of random unit atoms fᵢ: each sample uses
/// <see cref="ActivePerSample"/> distinct atoms with magnitudes aᵢ ~ U[0.5, 1.5].
/// </summary>
internal sealed class PlantedDictionary : IDisposable
{
    public PlantedDictionary(int atoms, int width, int activePerSample, double noise, ulong seed)
    {
        using var g = new Generator(seed);
        using var scope = NewDisposeScope();
        var a = randn([atoms, width], ScalarType.Float32, null, g);
        Atoms = (a / a.norm(1, keepdim: true)).DetachFromDisposeScope();
        ActivePerSample = activePerSample;
        Noise = noise;
        Width = width;
        AtomCount = atoms;
    }

    public Tensor Atoms { get; }
    public int ActivePerSample { get; }
    public double Noise { get; }
    public int Width { get; }
    public int AtomCount { get; }

    /// <summary>[rows, width] samples.</summary>
    public Tensor Sample(long rows, Generator g)
    {
        using var scope = NewDisposeScope();
        var (_, indices) = rand([rows, AtomCount], ScalarType.Float32, null, g).topk(ActivePerSample);
        var magnitudes = rand([rows, ActivePerSample], ScalarType.Float32, null, g) + 0.5;
        var x = nn.functional.embedding_bag(indices, Atoms, magnitudes);
        if (Noise > 0) x = x + randn([rows, Width], ScalarType.Float32, null, g) * Noise;
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>For each atom, the largest cosine with any decoder row; returns (fraction above the threshold, mean max cosine).</summary>
    public (double Recovered, double MeanMaxCosine) Recovery(Tensor decoderRows, double threshold = 0.9)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = decoderRows / decoderRows.norm(1, keepdim: true).clamp_min(1e-12);
        var best = Atoms.matmul(rows.t()).max(1).values;
        return (best.gt(threshold).to(ScalarType.Float32).mean().item<double>(), best.mean().item<double>());
    }

    public void Dispose() => Atoms.Dispose();
}
