using System.Text.Json;
using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>JSON helpers shared by the scorer file formats (doubles are written in shortest round-trip form).</summary>
internal static class ModelFiles
{
    public static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string v in values)
        {
            writer.WriteStringValue(v);
        }

        writer.WriteEndArray();
    }

    public static void WriteNumbers(Utf8JsonWriter writer, string name, IEnumerable<double> values)
    {
        writer.WriteStartArray(name);
        foreach (double v in values)
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes the optimiser's summary of a fitted model.</summary>
    public static void WriteTraining(Utf8JsonWriter writer, LogisticRegressionModel model)
    {
        writer.WriteStartObject("training");
        WriteFinite(writer, "objective", model.ObjectiveValue);
        WriteFinite(writer, "gradientNorm", model.GradientNorm);
        writer.WriteNumber("iterations", model.Iterations);
        writer.WriteBoolean("converged", model.Converged);
        writer.WriteEndObject();
    }

    /// <summary>Rebuilds a model from coefficient rows, intercepts and the optional training summary.</summary>
    public static LogisticRegressionModel Model(double[][] weights, double[] intercepts, int classCount, int featureCount, JsonElement root, string source)
    {
        int logits = classCount == 2 ? 1 : classCount;
        if (weights.Length != logits || intercepts.Length != logits)
        {
            throw new FormatException($"{source}: {classCount} classes need {logits} coefficient row(s) and intercept(s); found {weights.Length} and {intercepts.Length}.");
        }

        foreach (double[] row in weights)
        {
            if (row.Length != featureCount)
            {
                throw new FormatException($"{source}: a coefficient row has {row.Length} values, expected {featureCount}.");
            }

            CheckFinite(row, source);
        }

        CheckFinite(intercepts, source);
        double objective = double.NaN, gradient = double.NaN;
        int iterations = 0;
        bool converged = false;
        if (root.TryGetProperty("training", out JsonElement training) && training.ValueKind == JsonValueKind.Object)
        {
            objective = training.TryGetProperty("objective", out JsonElement o) && o.ValueKind == JsonValueKind.Number ? o.GetDouble() : double.NaN;
            gradient = training.TryGetProperty("gradientNorm", out JsonElement g) && g.ValueKind == JsonValueKind.Number ? g.GetDouble() : double.NaN;
            iterations = training.TryGetProperty("iterations", out JsonElement it) && it.ValueKind == JsonValueKind.Number ? it.GetInt32() : 0;
            converged = training.TryGetProperty("converged", out JsonElement c) && c.ValueKind is JsonValueKind.True;
        }

        return new LogisticRegressionModel(weights, intercepts, classCount, featureCount, objective, gradient, iterations, converged);
    }

    /// <summary>Parses a model file's JSON; malformed text becomes a <see cref="FormatException"/> naming the source.</summary>
    public static JsonDocument Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: not valid JSON ({e.Message}).", e);
        }
    }

    public static JsonElement Require(JsonElement parent, string name, JsonValueKind kind, string source)
    {
        if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind != kind)
        {
            throw new FormatException($"{source}: missing or invalid '{name}' (expected {kind}).");
        }

        return value;
    }

    public static string[] Strings(JsonElement array, string source, string name) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new FormatException($"{source}: '{name}' must hold strings.")).ToArray();

    public static double[] Numbers(JsonElement array, string source, string name) =>
        array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number
            ? e.GetDouble()
            : throw new FormatException($"{source}: '{name}' must hold numbers.")).ToArray();

    public static void CheckHeader(JsonElement root, string format, int version, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{source}: expected a JSON object.");
        }

        string? actual = root.TryGetProperty("format", out JsonElement f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (actual != format)
        {
            throw new FormatException($"{source}: format is '{actual ?? "(missing)"}', expected '{format}'.");
        }

        int v = root.TryGetProperty("version", out JsonElement ve) && ve.ValueKind == JsonValueKind.Number ? ve.GetInt32() : -1;
        if (v != version)
        {
            throw new FormatException($"{source}: version {v} is not supported (this library reads version {version}).");
        }
    }

    private static void WriteFinite(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void CheckFinite(double[] values, string source)
    {
        foreach (double v in values)
        {
            if (!double.IsFinite(v))
            {
                throw new FormatException($"{source}: coefficients must be finite; found {v}.");
            }
        }
    }
}
