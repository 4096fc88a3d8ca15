using DiffusionSteering.Diffusion.Models.Sampling;
using DiffusionSteering.Sae.Core.Activations;
using DiffusionSteering.Torch;
using static DiffusionSteering.Torch.torch;

namespace DiffusionSteering.Sae.Core.Metrics;

/// <summary>Reconstruction quality and sparsity of an SAE on a set of activations.</summary>
/// <param name="Tokens">Activations evaluated.</param>
/// <param name="ExplainedVariance">DLM-Scope Eq. 15: 1 − Σ_d Var(x_d − x̂_d) / Σ_d Var(x_d) (the residual's mean is removed).</param>
/// <param name="Fvu">Fraction of variance unexplained (sparsify): Σ‖x − x̂‖² / Σ‖x − x̄‖².</param>
/// <param name="Mse">Mean squared error per element: Σ‖x − x̂‖² / (N·d).</param>
/// <param name="L0">Mean number of positive latents per token.</param>
/// <param name="CosineSimilarity">Mean cos(x, x̂).</param>
/// <param name="L2Ratio">Mean ‖x̂‖ / ‖x‖ (shrinkage).</param>
/// <param name="RelativeReconstructionBias">γ = E‖x̂‖² / E[x·x̂] (Gated SAE paper Eq. 10; 1 = unbiased).</param>
/// <param name="DeadFraction">Latents that never fired on these activations.</param>
/// <param name="DenseFraction">Latents firing on more than the dense threshold of tokens.</param>
/// <param name="Frequencies">Per-latent firing frequency [d_sae].</param>
/// <param name="Histogram">Histogram of log10 firing frequency of the latents that fired.</param>
public sealed record ReconstructionMetrics(long Tokens, double ExplainedVariance, double Fvu, double Mse, double L0, double CosineSimilarity,
    double L2Ratio, double RelativeReconstructionBias, double DeadFraction, double DenseFraction, double[] Frequencies, FrequencyHistogram Histogram);

/// <summary>Counts of latents per log10-frequency bin [Edges[i], Edges[i+1]); latents that never fired are in <see cref="Dead"/>.</summary>
/// <param name="Edges">Bin edges in log10(frequency).</param>
/// <param name="Counts">Latents per bin (the first bin also holds anything below the lowest edge).</param>
/// <param name="Dead">Latents with frequency 0.</param>
public sealed record FrequencyHistogram(double[] Edges, long[] Counts, long Dead);

/// <summary>Metrics overall and per mask-rate bucket.</summary>
/// <param name="Overall">All activations.</param>
/// <param name="Buckets">Per bucket: its mask-rate interval and metrics (null when no activation fell in it).</param>
public sealed record SaeMetrics(ReconstructionMetrics Overall, IReadOnlyList<(double Low, double High, ReconstructionMetrics? Metrics)> Buckets);

/// <summary>
/// Streams held-out activations through an SAE and accumulates (in float64) the reconstruction and sparsity metrics,
/// overall and per mask-rate bucket.
/// </summary>
public sealed class SaeEvaluator : IDisposable
{
    private readonly ISparseAutoencoder _sae;
    private readonly MaskRateBuckets _buckets;
    private readonly int _groups;
    private readonly Tensor _sumX, _sumX2, _sumR, _sumR2, _scalars, _fires, _count;
    private const int ScalarColumns = 5;   // l0, cos, l2 ratio, x·x̂, ‖x̂‖²

    /// <summary>Creates an evaluator.</summary>
    /// <param name="sae">The SAE (reads raw activations).</param>
    /// <param name="buckets">Mask-rate buckets (default: deciles).</param>
    /// <param name="denseThreshold">A latent is dense when it fires on more than this fraction of tokens.</param>
    /// <param name="chunkRows">Rows encoded at a time.</param>
    public SaeEvaluator(ISparseAutoencoder sae, MaskRateBuckets? buckets = null, double denseThreshold = 0.1, int chunkRows = 1024)
    {
        ArgumentNullException.ThrowIfNull(sae);
        if (denseThreshold is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(denseThreshold), denseThreshold, "must be in (0, 1]");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        _sae = sae;
        _buckets = buckets ?? MaskRateBuckets.Deciles;
        DenseThreshold = denseThreshold;
        ChunkRows = chunkRows;
        _groups = _buckets.Count + 1;   // group 0: overall
        using var scope = NewDisposeScope();
        _sumX = zeros([_groups, sae.DIn], ScalarType.Float64).DetachFromDisposeScope();
        _sumX2 = zeros([_groups, sae.DIn], ScalarType.Float64).DetachFromDisposeScope();
        _sumR = zeros([_groups, sae.DIn], ScalarType.Float64).DetachFromDisposeScope();
        _sumR2 = zeros([_groups, sae.DIn], ScalarType.Float64).DetachFromDisposeScope();
        _scalars = zeros([_groups, ScalarColumns], ScalarType.Float64).DetachFromDisposeScope();
        _fires = zeros([_groups, sae.DSae], ScalarType.Float64).DetachFromDisposeScope();
        _count = zeros([_groups], ScalarType.Float64).DetachFromDisposeScope();
    }

    /// <summary>Fraction of tokens above which a latent counts as dense.</summary>
    public double DenseThreshold { get; }

    /// <summary>Rows encoded at a time.</summary>
    public int ChunkRows { get; }

    /// <summary>Adds activations [N, d_in] with their mask rates [N] (null: counted overall only).</summary>
    public void Add(Tensor activations, Tensor? maskRates = null)
    {
        if (activations.shape is not [var n, var d] || d != _sae.DIn)
            throw new ArgumentException($"activations must be [N, d_in = {_sae.DIn}], got [{string.Join(", ", activations.shape)}]");
        if (maskRates is not null && !maskRates.shape.SequenceEqual(new[] { n })) throw new ArgumentException($"mask rates must be [{n}]");
        using var noGrad = no_grad();
        for (long start = 0; start < n; start += ChunkRows)
        {
            var length = Math.Min(ChunkRows, n - start);
            using var scope = NewDisposeScope();
            var x = activations.narrow(0, start, length);
            var rates = maskRates?.narrow(0, start, length);
            AddChunk(x, rates);
        }
    }

    /// <summary>Adds a batch's activations at <paramref name="site"/>, bucketed by its mask rates.</summary>
    public void Add(ActivationBatch batch, ResidualSite site) => Add(batch[site], batch.MaskRate);

    private void AddChunk(Tensor x, Tensor? rates)
    {
        var (reconstruction, latents) = _sae.Forward(x.to(_sae.Device));
        var x64 = x.to(CPU, ScalarType.Float64);
        var xhat = reconstruction.to(CPU, ScalarType.Float64);
        var r = x64 - xhat;
        var rows = x64.size(0);
        // Group membership [N, G]: column 0 = every row, column b + 1 = rows whose mask rate is in bucket b.
        var bucketIds = new long[rows];
        if (rates is not null)
        {
            var values = rates.to(CPU, ScalarType.Float64).data<double>();
            for (var i = 0; i < rows; i++)
            {
                var b = _buckets.IndexOf(values[i]);
                bucketIds[i] = b < 0 ? _buckets.Count : b;
            }
        }
        else Array.Fill(bucketIds, _buckets.Count);
        var membership = cat([ones([rows, 1], ScalarType.Float64),
            tensor(bucketIds).one_hot(_buckets.Count + 1).narrow(1, 0, _buckets.Count).to(ScalarType.Float64)], 1);
        var groupsT = membership.t();
        _sumX.add_(groupsT.matmul(x64));
        _sumX2.add_(groupsT.matmul(x64.square()));
        _sumR.add_(groupsT.matmul(r));
        _sumR2.add_(groupsT.matmul(r.square()));
        var active = latents.gt(0).to(CPU, ScalarType.Float64);
        var xNorm = x64.norm(1);
        var xhatNorm = xhat.norm(1);
        var dot = (x64 * xhat).sum(1);
        var scalars = stack([active.sum(1), dot / (xNorm * xhatNorm).clamp_min(1e-30), xhatNorm / xNorm.clamp_min(1e-30), dot, xhatNorm.square()], 1);
        _scalars.add_(groupsT.matmul(scalars));
        _fires.add_(groupsT.matmul(active));
        _count.add_(membership.sum(dim: 0));
    }

    /// <summary>The metrics so far.</summary>
    public SaeMetrics Compute()
    {
        var overall = Group(0) ?? throw new InvalidOperationException("no activations were added");
        var buckets = new List<(double, double, ReconstructionMetrics?)>();
        for (var b = 0; b < _buckets.Count; b++)
        {
            var (low, high) = _buckets[b];
            buckets.Add((low, high, Group(b + 1)));
        }
        return new SaeMetrics(overall, buckets);
    }

    private ReconstructionMetrics? Group(int g)
    {
        using var scope = NewDisposeScope();
        var n = _count[g].item<double>();
        if (n < 1) return null;
        var d = _sae.DIn;
        // Per-dimension variances (population): Var = E[v²] − E[v]².
        var varX = (_sumX2[g] / n - (_sumX[g] / n).square()).sum().item<double>();
        var varR = (_sumR2[g] / n - (_sumR[g] / n).square()).sum().item<double>();
        var residualEnergy = _sumR2[g].sum().item<double>();
        var s = _scalars[g].data<double>();
        var frequencies = (_fires[g] / n).to(ScalarType.Float64).data<double>();
        var dead = frequencies.Count(f => f == 0);
        var dense = frequencies.Count(f => f > DenseThreshold);
        return new ReconstructionMetrics(
            Tokens: (long)n,
            ExplainedVariance: varX > 0 ? 1 - varR / varX : double.NaN,
            Fvu: varX > 0 ? residualEnergy / (n * varX) : double.NaN,
            Mse: residualEnergy / (n * d),
            L0: s[0] / n,
            CosineSimilarity: s[1] / n,
            L2Ratio: s[2] / n,
            RelativeReconstructionBias: s[3] != 0 ? s[4] / s[3] : double.NaN,
            DeadFraction: dead / (double)frequencies.Length,
            DenseFraction: dense / (double)frequencies.Length,
            Frequencies: frequencies,
            Histogram: Histogram(frequencies));
    }

    /// <summary>log10-frequency histogram with half-decade bins from 10⁻⁸ to 10⁰.</summary>
    public static FrequencyHistogram Histogram(IReadOnlyList<double> frequencies)
    {
        var edges = Enumerable.Range(0, 17).Select(i => -8 + 0.5 * i).ToArray();
        var counts = new long[edges.Length - 1];
        long dead = 0;
        foreach (var f in frequencies)
        {
            if (f <= 0)
            {
                dead++;
                continue;
            }
            var bin = (int)Math.Floor((Math.Log10(f) - edges[0]) / 0.5);
            counts[Math.Clamp(bin, 0, counts.Length - 1)]++;
        }
        return new FrequencyHistogram(edges, counts, dead);
    }

    /// <summary>Evaluates <paramref name="sae"/> on up to <paramref name="maxTokens"/> activations at <paramref name="site"/> from a source.</summary>
    public static SaeMetrics Evaluate(ISparseAutoencoder sae, IActivationSource source, ResidualSite site, long maxTokens,
        MaskRateBuckets? buckets = null, double denseThreshold = 0.1, CancellationToken cancellationToken = default)
    {
        using var evaluator = new SaeEvaluator(sae, buckets, denseThreshold);
        long seen = 0;
        while (seen < maxTokens)
        {
            using var batch = source.Next(cancellationToken);
            if (batch is null) break;
            var take = Math.Min(batch.Count, maxTokens - seen);
            using var scope = NewDisposeScope();
            evaluator.Add(batch[site].narrow(0, 0, take), batch.MaskRate.narrow(0, 0, take));
            seen += take;
        }
        return evaluator.Compute();
    }

    /// <summary>Frees the accumulators.</summary>
    public void Dispose()
    {
        foreach (var t in new[] { _sumX, _sumX2, _sumR, _sumR2, _scalars, _fires, _count }) t.Dispose();
    }
}
