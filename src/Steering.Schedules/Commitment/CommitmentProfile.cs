using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionSteering.Steering.Schedules.Commitment;

/// <summary>How the per-step cost c_t is chosen.</summary>
public enum CostModel
{
    /// <summary>c_t = 1.</summary>
    Uniform,
    /// <summary>c_t ∝ tokens committed at step t (floored at a small positive value).</summary>
    TokensCommitted,
}

/// <summary>
/// When an attribute commits during denoising, measured on one model and layer: the emergence curve, K-block
/// fractions, the per-step signal s_t and cost c_t, CV_c(s/c) and the predicted ρ. Serialises to JSON with what
/// produced it.
/// </summary>
public sealed record CommitmentProfile
{
    /// <summary>Model name or path.</summary>
    public required string Model { get; init; }
    /// <summary>Attribute (e.g. "sentiment:positive").</summary>
    public required string Attribute { get; init; }
    /// <summary>Block index of the SAE.</summary>
    public required int Layer { get; init; }
    /// <summary>Hook point name.</summary>
    public string HookPoint { get; init; } = "ResidPost";
    /// <summary>Tracked SAE features.</summary>
    public required IReadOnlyList<long> Features { get; init; }
    /// <summary>Denoising steps T.</summary>
    public required int Steps { get; init; }
    /// <summary>Samples recorded.</summary>
    public int SamplesRecorded { get; init; }
    /// <summary>Samples kept by the acceptance filter.</summary>
    public int SamplesKept { get; init; }
    /// <summary>Moving-average window.</summary>
    public int SmoothingWindow { get; init; } = 1;
    /// <summary>Cost model.</summary>
    public CostModel CostModel { get; init; } = CostModel.Uniform;
    /// <summary>Free-form settings (sampler, acceptance threshold, …).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    /// <summary>Mean tracked activation per step h̄(t) (before emergence processing).</summary>
    public required IReadOnlyList<double> MeanActivation { get; init; }
    /// <summary>Normalised emergence curve.</summary>
    public required IReadOnlyList<double> Emergence { get; init; }
    /// <summary>K-block fractions.</summary>
    public required IReadOnlyList<double> BlockFractions { get; init; }
    /// <summary>Per-step signal s_t.</summary>
    public required IReadOnlyList<double> Signal { get; init; }
    /// <summary>Per-step cost c_t.</summary>
    public required IReadOnlyList<double> Cost { get; init; }

    /// <summary>CV_c(s/c).</summary>
    public double CoefficientOfVariation => CommitmentMath.CoefficientOfVariation(Signal, Cost);

    /// <summary>Predicted efficiency ratio ρ = √(1 + CV²).</summary>
    public double PredictedEfficiencyRatio => CommitmentMath.EfficiencyRatio(Signal, Cost);

    /// <summary>Builds a profile from a mean-activation curve (and committed-token counts for the token cost model).</summary>
    public static CommitmentProfile FromCurve(string model, string attribute, int layer, IReadOnlyList<long> features, IReadOnlyList<double> meanActivation,
        int smoothingWindow = 1, int blocks = 8, CostModel costModel = CostModel.Uniform, IReadOnlyList<double>? tokensCommitted = null,
        int samplesRecorded = 0, int samplesKept = 0, IReadOnlyDictionary<string, string>? settings = null)
    {
        var emergence = CommitmentMath.EmergenceCurve(meanActivation, smoothingWindow);
        double[] cost;
        if (costModel == CostModel.TokensCommitted)
        {
            if (tokensCommitted is null || tokensCommitted.Count != meanActivation.Count)
                throw new ArgumentException("the token cost model needs committed-token counts for every step");
            var mean = Math.Max(1e-9, tokensCommitted.Average());
            cost = tokensCommitted.Select(n => Math.Max(n, 1e-3 * mean)).ToArray();
        }
        else
        {
            cost = Enumerable.Repeat(1.0, meanActivation.Count).ToArray();
        }
        return new CommitmentProfile
        {
            Model = model, Attribute = attribute, Layer = layer, Features = features.ToArray(), Steps = meanActivation.Count,
            SamplesRecorded = samplesRecorded, SamplesKept = samplesKept, SmoothingWindow = smoothingWindow, CostModel = costModel,
            Settings = settings ?? new Dictionary<string, string>(),
            MeanActivation = meanActivation.ToArray(), Emergence = emergence,
            BlockFractions = CommitmentMath.BlockFractions(emergence, blocks),
            Signal = CommitmentMath.StepSignal(emergence), Cost = cost,
        };
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>JSON text of the profile.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses a profile written by <see cref="ToJson"/>, validating its arrays.</summary>
    public static CommitmentProfile FromJson(string json)
    {
        var profile = JsonSerializer.Deserialize<CommitmentProfile>(json, JsonOptions) ?? throw new FormatException("empty commitment profile");
        if (profile.Signal.Count != profile.Steps || profile.Cost.Count != profile.Steps || profile.Emergence.Count != profile.Steps)
            throw new FormatException($"commitment profile arrays do not match its {profile.Steps} steps");
        CommitmentMath.CheckProfile(profile.Signal, profile.Cost);
        return profile;
    }

    /// <summary>Writes the profile to a file.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Reads a profile from a file.</summary>
    public static CommitmentProfile Load(string path) => FromJson(File.ReadAllText(path));

    /// <summary>
    /// The same profile on another number of steps: the cumulative signal and cost are linearly interpolated on the
    /// normalised time axis and differenced, so totals are preserved (explicit resampling, never implicit).
    /// </summary>
    public CommitmentProfile ResampleTo(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be at least 1");
        if (steps == Steps) return this;
        return this with
        {
            Steps = steps,
            Signal = ResampleMass(Signal, steps),
            Cost = ResampleMass(Cost, steps).Select(c => Math.Max(c, 1e-12)).ToArray(),
            Emergence = ResampleCurve(Emergence, steps),
            MeanActivation = ResampleCurve(MeanActivation, steps),
            Settings = new Dictionary<string, string>(Settings) { ["resampled_from_steps"] = Steps.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
    }

    private static double[] ResampleMass(IReadOnlyList<double> mass, int steps)
    {
        var cumulative = new double[mass.Count + 1];
        for (var i = 0; i < mass.Count; i++) cumulative[i + 1] = cumulative[i] + mass[i];
        double At(double u)
        {
            var x = u * mass.Count;
            var i = Math.Min((int)Math.Floor(x), mass.Count - 1);
            return cumulative[i] + (x - i) * mass[i];
        }
        var result = new double[steps];
        for (var t = 0; t < steps; t++) result[t] = At((t + 1.0) / steps) - At((double)t / steps);
        return result;
    }

    private static double[] ResampleCurve(IReadOnlyList<double> curve, int steps)
    {
        var result = new double[steps];
        for (var t = 0; t < steps; t++)
        {
            var x = steps == 1 ? 0 : (double)t * (curve.Count - 1) / (steps - 1);
            var i = Math.Min((int)Math.Floor(x), curve.Count - 1);
            var j = Math.Min(i + 1, curve.Count - 1);
            result[t] = curve[i] + (x - i) * (curve[j] - curve[i]);
        }
        return result;
    }
}
