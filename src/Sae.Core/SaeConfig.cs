namespace DiffusionSteering.Sae.Core;

/// <summary>The shape and sparsity rule of an SAE.</summary>
public sealed record SaeConfig
{
    /// <summary>Input width.</summary>
    public required int DIn { get; init; }
    /// <summary>Number of latents.</summary>
    public required int DSae { get; init; }
    /// <summary>Sparsity rule.</summary>
    public SaeArchitecture Architecture { get; init; } = SaeArchitecture.TopK;
    /// <summary>Active latents per token (TopK, MultiTopK: the largest level; BatchTopK: the mean budget).</summary>
    public int K { get; init; } = 32;
    /// <summary>MultiTopK: the budgets the training loss averages over (each ≤ K); null = {K}.</summary>
    public IReadOnlyList<int>? KLevels { get; init; }
    /// <summary>Subtract b_dec from the input before encoding (SAELens <c>apply_b_dec_to_input</c>).</summary>
    public bool ApplyBDecToInput { get; init; } = true;
    /// <summary>SAELens TopK training option: select on h·‖W_dec,i‖ and divide back when decoding.</summary>
    public bool RescaleActsByDecoderNorm { get; init; }
    /// <summary>Where the SAE was trained.</summary>
    public SaeMetadata Metadata { get; init; } = new();

    /// <summary>Throws on inconsistent values.</summary>
    public void Validate()
    {
        if (DIn < 1) throw new ArgumentOutOfRangeException(nameof(DIn), DIn, "d_in must be positive");
        if (DSae < 1) throw new ArgumentOutOfRangeException(nameof(DSae), DSae, "d_sae must be positive");
        if (!Enum.IsDefined(Architecture)) throw new ArgumentOutOfRangeException(nameof(Architecture), Architecture, "unknown architecture");
        if (Architecture is SaeArchitecture.TopK or SaeArchitecture.BatchTopK or SaeArchitecture.MultiTopK && (K < 1 || K > DSae))
            throw new ArgumentOutOfRangeException(nameof(K), K, $"k must be in [1, d_sae = {DSae}]");
        if (KLevels is { } levels && levels.Any(k => k < 1 || k > K))
            throw new ArgumentOutOfRangeException(nameof(KLevels), $"every k level must be in [1, K = {K}]");
    }
}
