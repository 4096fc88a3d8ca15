namespace DiffusionSteering.Steering.Schedules.Schedules;

/// <summary>The strength α_t of an intervention at step t of T.</summary>
public interface IInterventionSchedule
{
    /// <summary>α for step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.</summary>
    double Strength(int step, int totalSteps);
}

/// <summary>The same α at every step (the uniform baseline).</summary>
public sealed class UniformSchedule(double alpha) : IInterventionSchedule
{
    /// <summary>α.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc />
    public double Strength(int step, int totalSteps) => Alpha;
}

/// <summary>
/// α on the steps whose progress t/T lies in [start, end), zero elsewhere. start = end gives an empty window.
/// </summary>
public sealed class WindowSchedule : IInterventionSchedule
{
    /// <summary>Creates the window (fractions of the trajectory).</summary>
    public WindowSchedule(double alpha, double start, double end)
    {
        if (!(start >= 0 && start <= 1)) throw new ArgumentOutOfRangeException(nameof(start), start, "window start must be in [0, 1]");
        if (!(end >= 0 && end <= 1)) throw new ArgumentOutOfRangeException(nameof(end), end, "window end must be in [0, 1]");
        if (end < start) throw new ArgumentException($"window end ({end}) is before its start ({start})");
        Alpha = alpha; Start = start; End = end;
    }

    /// <summary>α inside the window.</summary>
    public double Alpha { get; }
    /// <summary>Window start as a fraction of the trajectory.</summary>
    public double Start { get; }
    /// <summary>Window end (exclusive; 1 includes the last step).</summary>
    public double End { get; }

    /// <inheritdoc />
    public double Strength(int step, int totalSteps)
    {
        var progress = (double)step / totalSteps;
        return progress >= Start && progress < End ? Alpha : 0;
    }
}

/// <summary>Another schedule moved by k steps: α'_t = α_{t−k} (zero outside) — the falsification test of an adaptive schedule.</summary>
public sealed class ShiftedSchedule(IInterventionSchedule inner, int shift) : IInterventionSchedule
{
    /// <summary>The shifted schedule.</summary>
    public IInterventionSchedule Inner { get; } = inner;
    /// <summary>Shift in steps (positive: later).</summary>
    public int Shift { get; } = shift;

    /// <inheritdoc />
    public double Strength(int step, int totalSteps)
    {
        var source = step - Shift;
        return source < 0 || source >= totalSteps ? 0 : Inner.Strength(source, totalSteps);
    }
}

/// <summary>A user-defined schedule.</summary>
public sealed class CustomSchedule(Func<int, int, double> strength) : IInterventionSchedule
{
    /// <inheritdoc />
    public double Strength(int step, int totalSteps) => strength(step, totalSteps);
}
