namespace DiffusionSteering.Steering.Eval.DecodingOrder;

/// <summary>Which SAE code z the decoding-order metrics read.</summary>
public enum LatentCode
{
    /// <summary>The SAE's own sparse code (<c>Encode</c>: TopK / JumpReLU / ReLU as the architecture defines it).</summary>
    Sparse,

    /// <summary>The dense pre-sparsity encoding ReLU(h) (<c>DenseEncode</c>), e.g. to take a top-K wider than the SAE's k.</summary>
    Dense,
}

/// <summary>What post-decode drift (DLM-Scope Eq. 21) compares the code at step k with.</summary>
public enum DriftReference
{
    /// <summary>
    /// The previous step k − 1: D = mean over (i, k &gt; τᵢ) of 1 − J(TopK z⁽ᵏ⁾ᵢ, TopK z⁽ᵏ⁻¹⁾ᵢ). This is what the released
    /// code (<c>dlm_order/dlm_order.py</c>) computes, and the default.
    /// </summary>
    PreviousStep,

    /// <summary>
    /// The decode step τᵢ: 1 − J(TopK z⁽ᵏ⁾ᵢ, TopK z⁽τᵢ⁾ᵢ), the cumulative drift away from the representation the position had
    /// when its token first appeared. An alternative reading of Eq. 21 (the paper's text could not be checked against it).
    /// </summary>
    DecodeStep,
}

/// <summary>Settings of the decoding-order analysis (DLM-Scope §"decoding order", Eqs. 20–24).</summary>
public sealed record DecodingOrderOptions
{
    /// <summary>K of TopK(z): how many of the largest latents form a position's latent set (code default <c>sae_topk=50</c>).</summary>
    public int TopK { get; init; } = 50;

    /// <summary>Which code to read (the SAE's sparse code by default).</summary>
    public LatentCode Code { get; init; } = LatentCode.Sparse;

    /// <summary>Number of equal bins of normalised progress k/T in [0, 1] (60, as the code's <c>plot.py</c>).</summary>
    public int ProgressBins { get; init; } = 60;

    /// <summary>Reference of post-decode drift (previous step, as the code does, by default).</summary>
    public DriftReference Drift { get; init; } = DriftReference.PreviousStep;

    /// <summary>Defaults.</summary>
    public static DecodingOrderOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (TopK < 1) throw new ArgumentException($"TopK must be at least 1; got {TopK}.", nameof(TopK));
        if (ProgressBins < 1) throw new ArgumentException($"ProgressBins must be at least 1; got {ProgressBins}.", nameof(ProgressBins));
        if (!Enum.IsDefined(Code)) throw new ArgumentException($"Unknown latent code {Code}.", nameof(Code));
        if (!Enum.IsDefined(Drift)) throw new ArgumentException($"Unknown drift reference {Drift}.", nameof(Drift));
    }
}
