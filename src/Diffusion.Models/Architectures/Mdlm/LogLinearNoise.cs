namespace DiffusionSteering.Diffusion.Models.Architectures.Mdlm;

/// <summary>
/// MDLM's log-linear noise schedule (Sahoo et al. 2024, "Simple and Effective Masked Diffusion Language Models",
/// §3.5 / <c>noise_schedule.py LogLinearNoise</c>): σ(t) = −log(1 − (1−ε)t), so the mask probability
/// 1 − e^{−σ(t)} = (1−ε)t is linear in t.
/// </summary>
public sealed class LogLinearNoise
{
    /// <summary>Creates the schedule (ε = 1e-3 as in MDLM).</summary>
    public LogLinearNoise(double eps = 1e-3)
    {
        if (!(eps > 0 && eps < 1)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be in (0, 1)");
        Eps = eps;
    }

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>σ(t) = −log1p(−(1−ε)t) (total noise).</summary>
    public double Sigma(double t) => -Math.Log(1 - (1 - Eps) * t);

    /// <summary>dσ/dt = (1−ε) / (1 − (1−ε)t) (rate noise).</summary>
    public double SigmaRate(double t) => (1 - Eps) / (1 - (1 - Eps) * t);

    /// <summary>Probability that a token is masked at time t: 1 − e^{−σ(t)} = (1−ε)t.</summary>
    public double MoveChance(double t) => 1 - Math.Exp(-Sigma(t));
}
