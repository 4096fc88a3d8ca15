using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// A trainable bag-of-n-grams text classifier: word n-grams (by default unigrams and bigrams, lower-cased) with
/// binary or term-frequency values feed an L2-regularised (multinomial) logistic regression fitted by the same L-BFGS
/// objective as <see cref="LogisticRegression"/> (in sparse form, without standardisation). Use it for topic,
/// formality, or any labelled attribute; <see cref="Save"/> writes a JSON file (options, classes, vocabulary with
/// weights) that <see cref="Load"/> reads back, so trained scorers can ship.
/// </summary>
/// <remarks>
/// Classes are the distinct training labels in ordinal order unless given explicitly. For two classes the model has a
/// single logit (log-odds of class 1 over class 0). The vocabulary keeps n-grams found in at least
/// <see cref="NGramClassifierOptions.MinCount"/> training texts, the <see cref="NGramClassifierOptions.MaxVocabulary"/>
/// most frequent first. Unknown n-grams at prediction time are ignored; a text with none scores by the intercepts alone.
/// </remarks>
public sealed class NGramTextClassifier : AttributeScorer
{
    /// <summary>The value of the file's <c>format</c> field.</summary>
    public const string FileFormat = "DiffusionSteering.NGramTextClassifier";

    /// <summary>The file version this library writes and reads.</summary>
    public const int FileVersion = 1;

    private readonly string[] _classes;
    private readonly string[] _vocabulary;
    private readonly Dictionary<string, int> _vocabularyIndex;
    private readonly double[][] _weights;
    private readonly double[] _intercepts;
    private readonly NGramFeaturizer _featurizer;

    private NGramTextClassifier(string[] classes, string[] vocabulary, LogisticRegressionModel model, NGramClassifierOptions options)
    {
        _classes = classes;
        _vocabulary = vocabulary;
        _vocabularyIndex = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (int j = 0; j < vocabulary.Length; j++)
        {
            if (!_vocabularyIndex.TryAdd(vocabulary[j], j))
            {
                throw new FormatException($"The vocabulary lists '{vocabulary[j]}' more than once.");
            }
        }

        Model = model;
        Options = options;
        _weights = model.GetCoefficients();
        _intercepts = model.GetIntercepts();
        _featurizer = new NGramFeaturizer(options);
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> Classes => _classes;

    /// <summary>The n-grams used as features, in column order.</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    /// <summary>The fitted logistic regression (columns follow <see cref="Vocabulary"/>).</summary>
    public LogisticRegressionModel Model { get; }

    /// <summary>Featurisation and training settings.</summary>
    public NGramClassifierOptions Options { get; }

    /// <summary>Trains a classifier on labelled texts.</summary>
    /// <param name="training">(text, label) pairs; at least two classes, each with at least one text.</param>
    /// <param name="options">Settings; <see cref="NGramClassifierOptions.Default"/> when null.</param>
    /// <param name="classes">Class order; the distinct labels in ordinal order when null.</param>
    public static NGramTextClassifier Train(
        IEnumerable<(string text, string label)> training, NGramClassifierOptions? options = null, IEnumerable<string>? classes = null)
    {
        options ??= NGramClassifierOptions.Default;
        options.Validate();
        (string[] texts, string[] labels) = Materialize(training, nameof(training));
        (string[] names, int[] y) = ScorerMath.IndexLabels(labels, classes, nameof(training));
        return Fit(texts, y, names, options);
    }

    /// <summary>
    /// Stratified K-fold cross-validated accuracy: for each fold the vocabulary and the model are built from the
    /// training part only.
    /// </summary>
    /// <param name="data">(text, label) pairs; every class needs at least <paramref name="folds"/> texts.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="folds">Number of folds (default 5).</param>
    /// <param name="seed">Fold-assignment seed.</param>
    public static CrossValidationResult CrossValidate(
        IEnumerable<(string text, string label)> data, NGramClassifierOptions? options = null, int folds = StratifiedKFold.DefaultFolds, ulong seed = 0)
    {
        options ??= NGramClassifierOptions.Default;
        options.Validate();
        (string[] texts, string[] labels) = Materialize(data, nameof(data));
        (string[] names, int[] y) = ScorerMath.IndexLabels(labels, null, nameof(data));
        IReadOnlyList<FoldSplit> splits = StratifiedKFold.Split(y, folds, seed);
        var accuracies = new double[splits.Count];
        for (int f = 0; f < splits.Count; f++)
        {
            NGramTextClassifier model = Fit(
                splits[f].TrainIndices.Select(i => texts[i]).ToArray(), splits[f].TrainIndices.Select(i => y[i]).ToArray(), names, options);
            int correct = splits[f].TestIndices.Count(i => model.Classify(texts[i]) == y[i]);
            accuracies[f] = (double)correct / splits[f].TestIndices.Count;
        }

        double mean = accuracies.Average();
        double sd = accuracies.Length > 1 ? Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Length - 1)) : 0.0;
        return new CrossValidationResult(accuracies, mean, sd);
    }

    /// <summary>
    /// The n-grams with the largest weights toward a class: for two classes, the most positive coefficients for class 1
    /// and the most negative for class 0; for more, the largest coefficients of that class's softmax row.
    /// </summary>
    /// <param name="className">A class name.</param>
    /// <param name="count">How many to return.</param>
    public IReadOnlyList<(string NGram, double Weight)> TopFeatures(string className, int count = 20)
    {
        int k = IndexOf(className);
        if (count < 1)
        {
            throw new ArgumentException($"Count must be at least 1; got {count}.", nameof(count));
        }

        double[] row = _weights.Length == 1 ? _weights[0] : _weights[k];
        double sign = _weights.Length == 1 && k == 0 ? -1.0 : 1.0;
        return Enumerable.Range(0, row.Length)
            .OrderByDescending(j => sign * row[j])
            .ThenBy(j => j)
            .Take(count)
            .Select(j => (_vocabulary[j], row[j]))
            .ToArray();
    }

    /// <summary>Writes the classifier to a JSON file (UTF-8).</summary>
    /// <param name="path">The file path.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllText(path, ToJson(), new UTF8Encoding(false));
    }

    /// <summary>The classifier as JSON (the format <see cref="Save"/> writes).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, ModelFiles.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("format", FileFormat);
            writer.WriteNumber("version", FileVersion);
            ModelFiles.WriteStrings(writer, "classes", _classes);
            writer.WriteStartObject("options");
            writer.WriteNumber("minN", Options.MinN);
            writer.WriteNumber("maxN", Options.MaxN);
            writer.WriteBoolean("lowercase", Options.Lowercase);
            writer.WriteString("tokenPattern", Options.TokenPattern);
            writer.WriteNumber("minCount", Options.MinCount);
            writer.WriteNumber("maxVocabulary", Options.MaxVocabulary);
            writer.WriteString("weighting", Options.Weighting.ToString());
            writer.WriteNumber("l2Penalty", Options.L2Penalty);
            writer.WriteNumber("maxIterations", Options.MaxIterations);
            writer.WriteNumber("gradientTolerance", Options.GradientTolerance);
            writer.WriteEndObject();
            ModelFiles.WriteTraining(writer, Model);
            ModelFiles.WriteNumbers(writer, "intercepts", _intercepts);
            writer.WriteStartArray("features");
            for (int j = 0; j < _vocabulary.Length; j++)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(_vocabulary[j]);
                foreach (double[] row in _weights)
                {
                    writer.WriteNumberValue(row[j]);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a classifier written by <see cref="Save"/>.</summary>
    /// <param name="path">The file path.</param>
    public static NGramTextClassifier Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Reads a classifier from JSON text.</summary>
    /// <param name="json">The JSON.</param>
    /// <param name="source">Name used in error messages.</param>
    public static NGramTextClassifier FromJson(string json, string source = "n-gram classifier JSON")
    {
        using (JsonDocument document = ModelFiles.Parse(json, source))
        {
            JsonElement root = document.RootElement;
            ModelFiles.CheckHeader(root, FileFormat, FileVersion, source);
            string[] classes = ModelFiles.Strings(ModelFiles.Require(root, "classes", JsonValueKind.Array, source), source, "classes");
            try
            {
                classes = ScorerMath.ValidateClasses(classes, "classes");
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{source}: {e.Message}", e);
            }

            JsonElement o = ModelFiles.Require(root, "options", JsonValueKind.Object, source);
            NGramClassifierOptions options;
            try
            {
                options = new NGramClassifierOptions
                {
                    MinN = ModelFiles.Require(o, "minN", JsonValueKind.Number, source).GetInt32(),
                    MaxN = ModelFiles.Require(o, "maxN", JsonValueKind.Number, source).GetInt32(),
                    Lowercase = o.TryGetProperty("lowercase", out JsonElement lc)
                        ? lc.ValueKind == JsonValueKind.True
                        : throw new FormatException($"{source}: missing 'lowercase'."),
                    TokenPattern = ModelFiles.Require(o, "tokenPattern", JsonValueKind.String, source).GetString()!,
                    MinCount = ModelFiles.Require(o, "minCount", JsonValueKind.Number, source).GetInt32(),
                    MaxVocabulary = ModelFiles.Require(o, "maxVocabulary", JsonValueKind.Number, source).GetInt32(),
                    Weighting = Enum.Parse<NGramWeighting>(ModelFiles.Require(o, "weighting", JsonValueKind.String, source).GetString()!),
                    L2Penalty = ModelFiles.Require(o, "l2Penalty", JsonValueKind.Number, source).GetDouble(),
                    MaxIterations = ModelFiles.Require(o, "maxIterations", JsonValueKind.Number, source).GetInt32(),
                    GradientTolerance = ModelFiles.Require(o, "gradientTolerance", JsonValueKind.Number, source).GetDouble(),
                };
                options.Validate();
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{source}: invalid options ({e.Message}).", e);
            }

            double[] intercepts = ModelFiles.Numbers(ModelFiles.Require(root, "intercepts", JsonValueKind.Array, source), source, "intercepts");
            int logits = classes.Length == 2 ? 1 : classes.Length;
            var vocabulary = new List<string>();
            var columns = new List<double[]>();
            foreach (JsonElement feature in ModelFiles.Require(root, "features", JsonValueKind.Array, source).EnumerateArray())
            {
                if (feature.ValueKind != JsonValueKind.Array || feature.GetArrayLength() != logits + 1 || feature[0].ValueKind != JsonValueKind.String)
                {
                    throw new FormatException($"{source}: feature {vocabulary.Count} must be [n-gram, {logits} weight(s)].");
                }

                vocabulary.Add(feature[0].GetString()!);
                var w = new double[logits];
                for (int k = 0; k < logits; k++)
                {
                    w[k] = feature[k + 1].ValueKind == JsonValueKind.Number
                        ? feature[k + 1].GetDouble()
                        : throw new FormatException($"{source}: weights of feature '{vocabulary[^1]}' must be numbers.");
                }

                columns.Add(w);
            }

            if (vocabulary.Count == 0)
            {
                throw new FormatException($"{source}: the vocabulary is empty.");
            }

            var weights = new double[logits][];
            for (int k = 0; k < logits; k++)
            {
                weights[k] = columns.Select(c => c[k]).ToArray();
            }

            LogisticRegressionModel model = ModelFiles.Model(weights, intercepts, classes.Length, vocabulary.Count, root, source);
            return new NGramTextClassifier(classes, vocabulary.ToArray(), model, options);
        }
    }

    /// <inheritdoc />
    protected override double[] PredictCore(string text)
    {
        (Dictionary<string, int> counts, int tokenCount) = _featurizer.Count(text);
        List<(int Column, double Value)> row = _featurizer.Row(counts, tokenCount, _vocabularyIndex);
        var z = new double[_weights.Length];
        for (int k = 0; k < z.Length; k++)
        {
            double zk = _intercepts[k];
            foreach ((int column, double value) in row)
            {
                zk += _weights[k][column] * value;
            }

            z[k] = zk;
        }

        if (z.Length == 1)
        {
            double p = ScorerMath.Sigmoid(z[0]);
            return [1.0 - p, p];
        }

        double max = z.Max();
        double sum = 0;
        for (int k = 0; k < z.Length; k++)
        {
            z[k] = Math.Exp(z[k] - max);
            sum += z[k];
        }

        for (int k = 0; k < z.Length; k++)
        {
            z[k] /= sum;
        }

        return z;
    }

    private static NGramTextClassifier Fit(string[] texts, int[] y, string[] classes, NGramClassifierOptions options)
    {
        var featurizer = new NGramFeaturizer(options);
        var counted = texts.Select(featurizer.Count).ToArray();
        string[] vocabulary = featurizer.BuildVocabulary(counted.Select(c => c.Counts));
        if (vocabulary.Length == 0)
        {
            throw new ArgumentException(
                $"No n-gram occurs in at least {options.MinCount} training texts; lower MinCount or add data.", nameof(texts));
        }

        var index = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (int j = 0; j < vocabulary.Length; j++)
        {
            index.Add(vocabulary[j], j);
        }

        var rows = counted.Select(c => (IReadOnlyList<(int, double)>)featurizer.Row(c.Counts, c.TokenCount, index)).ToArray();
        SparseRows x = SparseRows.FromRows(rows, vocabulary.Length);
        LogisticRegressionModel model = SparseLogisticObjective.Fit(x, y, classes.Length, options.Regression);
        return new NGramTextClassifier(classes, vocabulary, model, options);
    }

    private static (string[] Texts, string[] Labels) Materialize(IEnumerable<(string text, string label)> data, string paramName)
    {
        ArgumentNullException.ThrowIfNull(data, paramName);
        var texts = new List<string>();
        var labels = new List<string>();
        foreach ((string text, string label) in data)
        {
            texts.Add(text ?? throw new ArgumentException($"Text {texts.Count} is null.", paramName));
            labels.Add(label);
        }

        if (texts.Count == 0)
        {
            throw new ArgumentException("At least one labelled text is required.", paramName);
        }

        return (texts.ToArray(), labels.ToArray());
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"NGramTextClassifier({string.Join("/", _classes)}, {_vocabulary.Length} n-grams, {Options.MinN}–{Options.MaxN}-grams, {Options.Weighting})");
}
