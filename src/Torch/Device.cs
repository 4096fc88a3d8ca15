namespace DiffusionSteering.Torch;

/// <summary>Kinds of device (libtorch codes as mapped by the shim).</summary>
public enum DeviceType
{
    /// <summary>The host CPU.</summary>
    CPU = 0,
    /// <summary>An NVIDIA GPU.</summary>
    CUDA = 1,
    /// <summary>Shapes and dtypes only, no storage (to build a model before loading its weights).</summary>
    Meta = 2,
}

/// <summary>A device: <c>cpu</c> or <c>cuda:N</c>.</summary>
public sealed record Device
{
    /// <summary>Creates a device of a kind and index (-1: the current device of that kind).</summary>
    public Device(DeviceType type, int index = -1)
    {
        if (index < -1) throw new ArgumentOutOfRangeException(nameof(index), index, "device index must be -1 or more");
        this.type = type;
        this.index = type == DeviceType.CUDA ? index : -1;
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public Device(string description) : this(Parse(description).type, Parse(description).index) { }

    /// <summary>The kind of device.</summary>
    public DeviceType type { get; }

    /// <summary>The device index (-1 for CPU or "current").</summary>
    public int index { get; }

    private static (DeviceType type, int index) Parse(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var parts = description.Trim().ToLowerInvariant().Split(':');
        var type = parts[0] switch
        {
            "cpu" => DeviceType.CPU,
            "cuda" => DeviceType.CUDA,
            "meta" => DeviceType.Meta,
            _ => throw new ArgumentException($"unknown device '{description}' (expected cpu, cuda or cuda:N)", nameof(description)),
        };
        if (parts.Length == 1) return (type, -1);
        if (parts.Length == 2 && int.TryParse(parts[1], out var index) && index >= 0) return (type, index);
        throw new ArgumentException($"malformed device '{description}' (expected cpu, cuda or cuda:N)", nameof(description));
    }

    /// <summary>Converts a device string implicitly.</summary>
    public static implicit operator Device(string description) => new(description);

    /// <inheritdoc />
    public override string ToString() =>
        type switch
        {
            DeviceType.CPU => "cpu",
            DeviceType.Meta => "meta",
            _ => index < 0 ? "cuda" : $"cuda:{index}",
        };
}
