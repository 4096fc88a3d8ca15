namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Shared argument checks for the numeric evaluation code; every failure is an <see cref="ArgumentException"/>.</summary>
internal static class InputGuard
{
    /// <summary>Throws when <paramref name="values"/> is empty.</summary>
    public static void NotEmpty(ReadOnlySpan<double> values, string paramName)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("The sequence must contain at least one value.", paramName);
        }
    }

    /// <summary>Throws when any value is NaN or infinite, naming the first offending index.</summary>
    public static void AllFinite(ReadOnlySpan<double> values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException($"Value at index {i} is {values[i]}; all values must be finite (no NaN or infinity).", paramName);
            }
        }
    }

    /// <summary>Throws when any value is NaN or infinite, naming the first offending index.</summary>
    public static void AllFinite(ReadOnlySpan<float> values, string paramName)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"Value at index {i} is {values[i]}; all values must be finite (no NaN or infinity).", paramName);
            }
        }
    }

    /// <summary>Throws unless the sequence is non-empty and every value is finite.</summary>
    public static void NonEmptyFinite(ReadOnlySpan<double> values, string paramName)
    {
        NotEmpty(values, paramName);
        AllFinite(values, paramName);
    }

    /// <summary>Throws when the two lengths differ.</summary>
    public static void SameLength(int lengthA, int lengthB, string paramNameB)
    {
        if (lengthA != lengthB)
        {
            throw new ArgumentException($"Length mismatch: expected {lengthA} values but got {lengthB}.", paramNameB);
        }
    }

    /// <summary>Throws unless <paramref name="level"/> lies strictly between 0 and 1.</summary>
    public static void ConfidenceLevel(double level, string paramName)
    {
        if (!(level > 0.0 && level < 1.0))
        {
            throw new ArgumentException($"Confidence level must lie strictly between 0 and 1; got {level}.", paramName);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is at least <paramref name="minimum"/>.</summary>
    public static void AtLeast(int value, int minimum, string paramName)
    {
        if (value < minimum)
        {
            throw new ArgumentException($"Value must be at least {minimum}; got {value}.", paramName);
        }
    }
}
