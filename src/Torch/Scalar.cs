namespace DiffusionSteering.Torch;

/// <summary>What a <see cref="Scalar"/> holds.</summary>
public enum ScalarKind
{
    /// <summary>A floating-point number.</summary>
    Floating,
    /// <summary>An integer.</summary>
    Integer,
    /// <summary>A boolean.</summary>
    Boolean,
}

/// <summary>A number passed to or returned from a tensor operation (PyTorch's <c>Scalar</c>).</summary>
public readonly struct Scalar
{
    /// <summary>A floating-point scalar.</summary>
    public Scalar(double value) { Kind = ScalarKind.Floating; DoubleValue = value; IntegerValue = 0; }

    /// <summary>An integer scalar.</summary>
    public Scalar(long value) { Kind = ScalarKind.Integer; IntegerValue = value; DoubleValue = value; }

    /// <summary>A boolean scalar.</summary>
    public Scalar(bool value) { Kind = ScalarKind.Boolean; IntegerValue = value ? 1 : 0; DoubleValue = IntegerValue; }

    /// <summary>What the scalar holds.</summary>
    public ScalarKind Kind { get; }

    /// <summary>The value as double.</summary>
    public double DoubleValue { get; }

    /// <summary>The value as long (integers and booleans).</summary>
    public long IntegerValue { get; }

    /// <summary>The value as double.</summary>
    public double ToDouble() => DoubleValue;

    /// <summary>The value as float.</summary>
    public float ToSingle() => (float)DoubleValue;

    /// <summary>The value as long (truncating floats).</summary>
    public long ToInt64() => Kind == ScalarKind.Floating ? (long)DoubleValue : IntegerValue;

    /// <summary>The value as bool.</summary>
    public bool ToBoolean() => Kind == ScalarKind.Floating ? DoubleValue != 0 : IntegerValue != 0;

#pragma warning disable CS1591 // conversions are self-describing
    public static implicit operator Scalar(double value) => new(value);
    public static implicit operator Scalar(float value) => new(value);
    public static implicit operator Scalar(long value) => new(value);
    public static implicit operator Scalar(int value) => new(value);
    public static implicit operator Scalar(bool value) => new(value);
#pragma warning restore CS1591

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ScalarKind.Integer => IntegerValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ScalarKind.Boolean => (IntegerValue != 0).ToString(),
        _ => DoubleValue.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };
}
