using DiffusionSteering.Steering.Eval.Probes;
using DiffusionSteering.Steering.Eval.Scorers;
using DiffusionSteering.Steering.Eval.Statistics;

namespace DiffusionSteering.Steering.Eval.Tests.Scorers;

public class NGramTextClassifierTests
{
    private static readonly string[] Sports = ["goal", "match", "team", "coach", "score", "league", "player", "referee", "stadium", "season"];
    private static readonly string[] Cooking = ["oven", "recipe", "flour", "sauce", "butter", "garlic", "simmer", "kitchen", "salt", "bake"];
    private static readonly string[] Music = ["guitar", "melody", "chord", "drums", "concert", "song", "tempo", "album", "singer", "piano"];
    private static readonly string[] Filler = ["the", "a", "was", "very", "and", "then", "we", "it", "of", "today", "with", "after"];

    /// <summary>Sentences of 10 words: 3 topic words and 7 shared filler words, shuffled, from a seeded stream.</summary>
    private static List<(string text, string label)> Corpus(int perClass, ulong seed, params (string label, string[] words)[] topics)
    {
        var rng = new Xoshiro256StarStar(seed);
        var corpus = new List<(string, string)>();
        for (int i = 0; i < perClass; i++)
        {
            foreach ((string label, string[] words) in topics)
            {
                var sentence = new List<string>();
                for (int k = 0; k < 3; k++)
                {
                    sentence.Add(words[rng.NextInt(words.Length)]);
                }

                for (int k = 0; k < 7; k++)
                {
                    sentence.Add(Filler[rng.NextInt(Filler.Length)]);
                }

                string[] shuffled = sentence.ToArray();
                rng.Shuffle<string>(shuffled);
                shuffled[0] = char.ToUpperInvariant(shuffled[0][0]) + shuffled[0][1..];
                corpus.Add((string.Join(' ', shuffled) + ".", label));
            }
        }

        return corpus;
    }

    [Fact]
    public void SeparatesTwoSyntheticTopicsOnHeldOutText()
    {
        List<(string text, string label)> train = Corpus(60, 1, ("sports", Sports), ("cooking", Cooking));
        List<(string text, string label)> test = Corpus(40, 2, ("sports", Sports), ("cooking", Cooking));
        NGramTextClassifier classifier = NGramTextClassifier.Train(train);
        Assert.Equal(["cooking", "sports"], classifier.Classes); // ordinal order
        Assert.True(classifier.Model.Converged);
        ScorerEvaluation evaluation = classifier.Evaluate(test);
        Assert.Equal(80, evaluation.Count);
        Assert.True(evaluation.Accuracy >= 0.97, evaluation.ToString());
        Assert.True(classifier.ProbabilityOf("The coach said the team played a great match.", "sports") > 0.9);
        Assert.True(classifier.ProbabilityOf("Simmer the garlic in butter before you bake.", "cooking") > 0.9);
        double[] p = classifier.Predict("nothing relevant here");
        Assert.Equal(1.0, p.Sum(), 12);
        IReadOnlyList<(string NGram, double Weight)> top = classifier.TopFeatures("sports", 5);
        Assert.All(top, f => Assert.Contains(f.NGram, Sports));
        Assert.All(classifier.TopFeatures("cooking", 5), f => Assert.Contains(f.NGram, Cooking));
    }

    [Fact]
    public void RoundTripsThroughItsFileWithIdenticalPredictions()
    {
        List<(string text, string label)> train = Corpus(40, 3, ("sports", Sports), ("cooking", Cooking), ("music", Music));
        var options = new NGramClassifierOptions { Weighting = NGramWeighting.TermFrequency, MinCount = 1, MaxVocabulary = 500, L2Penalty = 1e-2 };
        NGramTextClassifier classifier = NGramTextClassifier.Train(train, options);
        string path = Path.Combine(Path.GetTempPath(), $"ngram-{Guid.NewGuid():N}.json");
        try
        {
            classifier.Save(path);
            NGramTextClassifier loaded = NGramTextClassifier.Load(path);
            Assert.Equal(classifier.Classes, loaded.Classes);
            Assert.Equal(classifier.Vocabulary, loaded.Vocabulary);
            Assert.Equal(classifier.Options, loaded.Options);
            Assert.Equal(classifier.Model.Iterations, loaded.Model.Iterations);
            Assert.Equal(classifier.Model.ObjectiveValue, loaded.Model.ObjectiveValue);
            foreach ((string text, _) in Corpus(10, 4, ("sports", Sports), ("cooking", Cooking), ("music", Music)))
            {
                Assert.Equal(classifier.Predict(text), loaded.Predict(text)); // bit-identical
            }

            Assert.Equal(classifier.ToJson(), loaded.ToJson());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ThreeClassesUseASoftmaxAndCrossValidate()
    {
        List<(string text, string label)> data = Corpus(30, 5, ("sports", Sports), ("cooking", Cooking), ("music", Music));
        NGramTextClassifier classifier = NGramTextClassifier.Train(data, classes: ["sports", "cooking", "music"]);
        Assert.Equal(["sports", "cooking", "music"], classifier.Classes);
        Assert.Equal(3, classifier.Model.GetCoefficients().Length);
        Assert.Equal(2, classifier.Classify("The guitar and drums at the concert."));
        Assert.Equal(1, classifier.Classify("Bake the flour with salt in the oven."));
        CrossValidationResult cv = NGramTextClassifier.CrossValidate(data, folds: 5, seed: 7);
        Assert.Equal(5, cv.FoldAccuracies.Count);
        Assert.True(cv.MeanAccuracy >= 0.95, $"cv {cv.MeanAccuracy}");
    }

    [Fact]
    public void SparseFitEqualsTheDenseLogisticRegression()
    {
        // Same objective (no standardisation) on the same rows: the sparse and dense fits must agree.
        List<(string text, string label)> data = Corpus(12, 6, ("sports", Sports), ("cooking", Cooking), ("music", Music));
        var options = new NGramClassifierOptions { MinCount = 2, Weighting = NGramWeighting.NormalizedTermFrequency, L2Penalty = 1e-2, GradientTolerance = 1e-10, MaxIterations = 5000 };
        NGramTextClassifier sparse = NGramTextClassifier.Train(data, options);
        var featurizer = new NGramFeaturizer(options);
        var index = sparse.Vocabulary.Select((g, j) => (g, j)).ToDictionary(p => p.g, p => p.j);
        double[][] dense = data.Select(d =>
        {
            (Dictionary<string, int> counts, int tokens) = featurizer.Count(d.text);
            var row = new double[index.Count];
            foreach ((int c, double v) in featurizer.Row(counts, tokens, index))
            {
                row[c] = v;
            }

            return row;
        }).ToArray();
        int[] y = data.Select(d => sparse.IndexOf(d.label)).ToArray();
        LogisticRegressionModel reference = LogisticRegression.Fit(
            dense, y, new LogisticRegressionOptions { Standardize = false, L2Penalty = 1e-2, GradientTolerance = 1e-10, MaxIterations = 5000 });
        double[][] a = sparse.Model.GetCoefficients(), b = reference.GetCoefficients();
        for (int k = 0; k < a.Length; k++)
        {
            for (int j = 0; j < a[k].Length; j++)
            {
                Assert.Equal(b[k][j], a[k][j], 6);
            }
        }

        Assert.Equal(reference.GetIntercepts()[0], sparse.Model.GetIntercepts()[0], 6);
        Assert.Equal(reference.ObjectiveValue, sparse.Model.ObjectiveValue, 10);
    }

    [Fact]
    public void FeaturizerCountsLowercasedUnigramsAndBigrams()
    {
        var featurizer = new NGramFeaturizer(NGramClassifierOptions.Default);
        (Dictionary<string, int> counts, int tokens) = featurizer.Count("Good movie, GOOD");
        Assert.Equal(4, tokens); // good, movie, ",", good
        Assert.Equal(2, counts["good"]);
        Assert.Equal(1, counts["movie"]);
        Assert.Equal(1, counts[","]);
        Assert.Equal(1, counts["good movie"]);
        Assert.Equal(1, counts["movie ,"]);
        Assert.Equal(1, counts[", good"]);
        Assert.Equal(6, counts.Count);
        var vocabulary = new Dictionary<string, int> { ["good"] = 0, ["good movie"] = 1 };
        Assert.Equal([(0, 1.0), (1, 1.0)], featurizer.Row(counts, tokens, vocabulary));
        var tf = new NGramFeaturizer(NGramClassifierOptions.Default with { Weighting = NGramWeighting.TermFrequency });
        Assert.Equal([(0, 2.0), (1, 1.0)], tf.Row(counts, tokens, vocabulary));
        var normalized = new NGramFeaturizer(NGramClassifierOptions.Default with { Weighting = NGramWeighting.NormalizedTermFrequency });
        Assert.Equal([(0, 0.5), (1, 0.25)], normalized.Row(counts, tokens, vocabulary));
        var cased = new NGramFeaturizer(NGramClassifierOptions.Default with { Lowercase = false, MaxN = 1 });
        Assert.Equal(4, cased.Count("Good movie, GOOD").Counts.Count);
    }

    [Fact]
    public void VocabularyKeepsFrequentNGramsUpToTheCap()
    {
        var featurizer = new NGramFeaturizer(new NGramClassifierOptions { MaxN = 1, MinCount = 2, MaxVocabulary = 2 });
        string[] vocabulary = featurizer.BuildVocabulary(
            new[] { "a b c", "a b", "a d", "e" }.Select(t => featurizer.Count(t).Counts));
        Assert.Equal(["a", "b"], vocabulary); // a in 3 texts, b in 2; c, d, e in one
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        List<(string text, string label)> train = Corpus(10, 8, ("sports", Sports), ("cooking", Cooking));
        NGramTextClassifier classifier = NGramTextClassifier.Train(train);
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => classifier.ProbabilityOf("goal", "politics"));
        Assert.Contains("'politics'", unknown.Message);
        Assert.Throws<ArgumentException>(() => classifier.TopFeatures("politics"));
        Assert.Throws<ArgumentException>(() => classifier.Evaluate([]));
        Assert.Throws<ArgumentException>(() => classifier.Evaluate([("goal", "politics")]));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train([]));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train([("a goal", "sports"), ("a match", "sports")]));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train([("a goal", "sports"), ("a match", null!)]));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train([("a goal", "sports"), ("an oven", "cooking")], new NGramClassifierOptions { MinCount = 5 }));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train(train, new NGramClassifierOptions { MaxN = 0 }));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train(train, new NGramClassifierOptions { TokenPattern = "(" }));
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.Train(train, classes: ["sports", "cooking", "music"])); // music has no examples
        Assert.Throws<ArgumentException>(() => NGramTextClassifier.CrossValidate(train.Take(6), folds: 5)); // 3 per class < 5 folds
        Assert.Throws<FormatException>(() => NGramTextClassifier.FromJson("{}"));
        Assert.Throws<FormatException>(() => NGramTextClassifier.FromJson("not json"));
        string json = classifier.ToJson();
        Assert.Throws<FormatException>(() => NGramTextClassifier.FromJson(json.Replace("\"version\":1", "\"version\":2")));
        Assert.Throws<FormatException>(() => NGramTextClassifier.FromJson(json.Replace("\"intercepts\":[", "\"intercepts\":[0,")));
    }
}
