namespace DiffusionSteering.Torch.Safetensors;

/// <summary>A safetensors file, or a sharded checkpoint's index, breaks a rule of the format.</summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>Creates the exception; the message names the file, the rule and (when given) the tensor.</summary>
    /// <param name="fileName">The offending file (a .safetensors file or an index file).</param>
    /// <param name="tensorName">The tensor the problem concerns, or <see langword="null"/> for file-level problems.</param>
    /// <param name="rule">The broken rule.</param>
    /// <param name="detail">What exactly is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public SafetensorsFormatException(
        string fileName, string? tensorName, SafetensorsRule rule, string detail, Exception? innerException = null)
        : base(BuildMessage(fileName, tensorName, rule, detail), innerException)
    {
        FileName = fileName;
        TensorName = tensorName;
        Rule = rule;
        Detail = detail;
    }

    /// <summary>The offending file.</summary>
    public string FileName { get; }

    /// <summary>The tensor the problem concerns, or <see langword="null"/> for file-level problems.</summary>
    public string? TensorName { get; }

    /// <summary>The broken rule.</summary>
    public SafetensorsRule Rule { get; }

    /// <summary>The rule-specific explanation (the message without the file/tensor/rule prefix).</summary>
    public string Detail { get; }

    private static string BuildMessage(string fileName, string? tensorName, SafetensorsRule rule, string detail) =>
        tensorName is null
            ? $"Invalid safetensors file '{fileName}' [rule {rule}]: {detail}"
            : $"Invalid safetensors file '{fileName}', tensor '{tensorName}' [rule {rule}]: {detail}";
}
