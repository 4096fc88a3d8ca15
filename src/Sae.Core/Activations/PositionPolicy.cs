using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Diffusion.Models.Sampling;

namespace DiffusionSteering.Sae.Core.Activations;

/// <summary>
/// Which positions of a corrupted sequence give training activations (DLM-Scope Eqs. 9–12): the Mask-SAE reads the
/// masked positions 𝓜(xᵗ), the Unmask-SAE the visible non-padding positions 𝓤(xᵗ).
/// </summary>
public enum PositionPolicy
{
    /// <summary>Positions that hold the mask token in the forward input (DLM-Scope <c>mask</c>).</summary>
    Masked,
    /// <summary>Visible, non-padding positions (DLM-Scope <c>unmask</c>).</summary>
    Unmasked,
    /// <summary>Every non-padding position (DLM-Scope <c>all</c>).</summary>
    All,
}

/// <summary>Names used in saved metadata and logs.</summary>
public static class ActivationNames
{
    /// <summary>DLM-Scope's policy name: <c>mask</c>, <c>unmask</c> or <c>all</c>.</summary>
    public static string ToMetadataName(this PositionPolicy policy) => policy switch
    {
        PositionPolicy.Masked => "mask",
        PositionPolicy.Unmasked => "unmask",
        PositionPolicy.All => "all",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown position policy"),
    };

    /// <summary>Parses <c>mask</c>/<c>unmask</c>/<c>all</c>.</summary>
    public static PositionPolicy ParsePositionPolicy(string name) => name switch
    {
        "mask" or "masked" => PositionPolicy.Masked,
        "unmask" or "unmasked" => PositionPolicy.Unmasked,
        "all" => PositionPolicy.All,
        _ => throw new ArgumentException($"unknown position policy '{name}' (mask, unmask, all)", nameof(name)),
    };

    /// <summary>TransformerLens-style hook name of a site, e.g. <c>blocks.3.hook_resid_post</c>.</summary>
    public static string HookName(this ResidualSite site) => $"blocks.{site.Layer}.{PointName(site.Point)}";

    /// <summary>A short key for file and tensor names, e.g. <c>L3.resid_post</c>.</summary>
    public static string Key(this ResidualSite site) => $"L{site.Layer}.{PointName(site.Point)[5..]}";

    /// <summary>Parses a key written by <see cref="Key"/>.</summary>
    public static ResidualSite ParseKey(string key)
    {
        var dot = key.IndexOf('.');
        if (!key.StartsWith('L') || dot < 2 || !int.TryParse(key.AsSpan(1, dot - 1), out var layer))
            throw new FormatException($"'{key}' is not a site key like L3.resid_post");
        var point = key[(dot + 1)..] switch
        {
            "resid_pre" => HookPoint.ResidPre,
            "resid_mid" => HookPoint.ResidMid,
            "resid_post" => HookPoint.ResidPost,
            var other => throw new FormatException($"unknown hook point '{other}' in site key '{key}'"),
        };
        return new ResidualSite(layer, point);
    }

    private static string PointName(HookPoint point) => point switch
    {
        HookPoint.ResidPre => "hook_resid_pre",
        HookPoint.ResidMid => "hook_resid_mid",
        HookPoint.ResidPost => "hook_resid_post",
        _ => throw new ArgumentOutOfRangeException(nameof(point), point, "unknown hook point"),
    };
}
