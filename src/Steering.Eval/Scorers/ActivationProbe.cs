using System.Text;
using System.Text.Json;
using DiffusionSteering.Diffusion.Models.Hooks;
using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// A trained linear probe on a denoiser's mean-pooled residual activations at one layer and hook point: the classes it
/// separates and the logistic-regression model that maps the pooled vector (length <see cref="HiddenSize"/>) to class
/// probabilities. Apply it to text with <see cref="ActivationProbeScorer"/>; train it with <see cref="ActivationProbeTrainer"/>.
/// </summary>
public sealed class ActivationProbe
{
    /// <summary>The value of the file's <c>format</c> field.</summary>
    public const string FileFormat = "DiffusionSteering.ActivationProbe";

    /// <summary>The file version this library writes and reads.</summary>
    public const int FileVersion = 1;

    private readonly string[] _classes;

    /// <summary>Creates a probe.</summary>
    /// <param name="layer">Block index whose residual it reads.</param>
    /// <param name="point">Hook point inside the block.</param>
    /// <param name="classes">Class names, in the model's class-index order (its <see cref="LogisticRegressionModel.ClassCount"/> of them).</param>
    /// <param name="model">The fitted logistic regression on pooled activations.</param>
    /// <param name="modelType">Optional family of the denoiser it was trained on (stored in the file for reference).</param>
    public ActivationProbe(int layer, HookPoint point, IReadOnlyList<string> classes, LogisticRegressionModel model, string? modelType = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (layer < 0)
        {
            throw new ArgumentException($"Layer must be non-negative; got {layer}.", nameof(layer));
        }

        if (!Enum.IsDefined(point))
        {
            throw new ArgumentException($"Unknown hook point {point}.", nameof(point));
        }

        _classes = ScorerMath.ValidateClasses(classes, nameof(classes));
        if (_classes.Length != model.ClassCount)
        {
            throw new ArgumentException($"{_classes.Length} class names were given for a model with {model.ClassCount} classes.", nameof(classes));
        }

        Layer = layer;
        Point = point;
        Model = model;
        ModelType = modelType;
    }

    /// <summary>Block index.</summary>
    public int Layer { get; }

    /// <summary>Hook point inside the block.</summary>
    public HookPoint Point { get; }

    /// <summary>Class names.</summary>
    public IReadOnlyList<string> Classes => _classes;

    /// <summary>The logistic regression on pooled activations.</summary>
    public LogisticRegressionModel Model { get; }

    /// <summary>Width of the residual stream it expects.</summary>
    public int HiddenSize => Model.FeatureCount;

    /// <summary>Family of the denoiser it was trained on, when recorded.</summary>
    public string? ModelType { get; }

    /// <summary>Class probabilities for one mean-pooled activation vector.</summary>
    /// <param name="pooled"><see cref="HiddenSize"/> finite values.</param>
    public double[] PredictFromActivations(ReadOnlySpan<double> pooled) => Model.PredictProba(pooled);

    /// <summary>Writes the probe to a JSON file.</summary>
    /// <param name="path">The file path.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToJson(), new UTF8Encoding(false));
    }

    /// <summary>The probe as JSON.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, ModelFiles.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("format", FileFormat);
            writer.WriteNumber("version", FileVersion);
            ModelFiles.WriteStrings(writer, "classes", _classes);
            writer.WriteNumber("layer", Layer);
            writer.WriteString("hookPoint", Point.ToString());
            writer.WriteNumber("hiddenSize", HiddenSize);
            if (ModelType is not null)
            {
                writer.WriteString("modelType", ModelType);
            }

            ModelFiles.WriteTraining(writer, Model);
            ModelFiles.WriteNumbers(writer, "intercepts", Model.GetIntercepts());
            writer.WriteStartArray("weights");
            foreach (double[] row in Model.GetCoefficients())
            {
                writer.WriteStartArray();
                foreach (double w in row)
                {
                    writer.WriteNumberValue(w);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a probe written by <see cref="Save"/>.</summary>
    /// <param name="path">The file path.</param>
    public static ActivationProbe Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Reads a probe from JSON text.</summary>
    /// <param name="json">The JSON.</param>
    /// <param name="source">Name used in error messages.</param>
    public static ActivationProbe FromJson(string json, string source = "activation probe JSON")
    {
        using (JsonDocument document = ModelFiles.Parse(json, source))
        {
            JsonElement root = document.RootElement;
            ModelFiles.CheckHeader(root, FileFormat, FileVersion, source);
            string[] classes = ModelFiles.Strings(ModelFiles.Require(root, "classes", JsonValueKind.Array, source), source, "classes");
            int layer = ModelFiles.Require(root, "layer", JsonValueKind.Number, source).GetInt32();
            string pointName = ModelFiles.Require(root, "hookPoint", JsonValueKind.String, source).GetString()!;
            if (!Enum.TryParse(pointName, out HookPoint point) || !Enum.IsDefined(point))
            {
                throw new FormatException($"{source}: unknown hook point '{pointName}'.");
            }

            int hidden = ModelFiles.Require(root, "hiddenSize", JsonValueKind.Number, source).GetInt32();
            string? modelType = root.TryGetProperty("modelType", out JsonElement mt) && mt.ValueKind == JsonValueKind.String ? mt.GetString() : null;
            double[] intercepts = ModelFiles.Numbers(ModelFiles.Require(root, "intercepts", JsonValueKind.Array, source), source, "intercepts");
            double[][] weights = ModelFiles.Require(root, "weights", JsonValueKind.Array, source).EnumerateArray()
                .Select(r => r.ValueKind == JsonValueKind.Array ? ModelFiles.Numbers(r, source, "weights") : throw new FormatException($"{source}: 'weights' must hold arrays."))
                .ToArray();
            LogisticRegressionModel model = ModelFiles.Model(weights, intercepts, classes.Length, hidden, root, source);
            try
            {
                return new ActivationProbe(layer, point, classes, model, modelType);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{source}: {e.Message}", e);
            }
        }
    }
}
