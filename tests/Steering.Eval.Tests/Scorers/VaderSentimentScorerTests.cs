using DiffusionSteering.Steering.Eval.Scorers;

namespace DiffusionSteering.Steering.Eval.Tests.Scorers;

/// <summary>
/// Hand-worked VADER rule checks. Lexicon entries used: good 1.9, great 3.1, bad −2.5, horrible −2.5, happy 2.7,
/// no −1.2, kind 2.4, ":)" 2.0. Constants: negation ×−0.74, booster ±0.293 (×0.95 at distance 2), caps +0.733,
/// "!" +0.292 each (max 4), "??" 0.18 each, "but" 0.5 / 1.5, compound x/√(x² + 15).
/// </summary>
public class VaderSentimentScorerTests
{
    private static readonly VaderSentimentScorer Scorer = new();

    private static double Norm(double x) => x / Math.Sqrt((x * x) + 15.0);

    private static void AssertSum(string text, double expectedSum)
    {
        VaderScores scores = Scorer.Score(text);
        Assert.Equal(expectedSum, scores.Sum, 10);
        Assert.Equal(Norm(expectedSum), scores.Compound, 10);
    }

    [Fact]
    public void LexiconIsTheShippedVaderLexiconWithItsLicence()
    {
        VaderLexicon lexicon = VaderLexicon.Default;
        Assert.Equal(7503, lexicon.Count);
        Assert.Equal(1.9, lexicon["good"]);
        Assert.Equal(-2.5, lexicon["bad"]);
        Assert.Equal(2.3, lexicon[":D"]);
        Assert.Equal(2.3, lexicon[":d"]);
        Assert.Equal(1.4, lexicon[":P"]);
        Assert.Equal(1.0, lexicon[":p"]);
        Assert.Equal(1.9, lexicon["GOOD"]);
        Assert.False(lexicon.Contains("not"));
        Assert.Contains("Apache License", VaderLexicon.LicenseText);
        Assert.Contains("Version 2.0", VaderLexicon.LicenseText);
        Assert.Contains("Comcast", VaderLexicon.NoticeText);
    }

    [Fact]
    public void PlainSentimentWordMatchesVadersPublishedCompound()
    {
        // "good" alone: compound 1.9/√(1.9² + 15) = 0.4404, VADER's well-known value.
        Assert.Equal(0.4404, Scorer.Compound("good"), 4);
        AssertSum("The movie is good", 1.9);
        AssertSum("The movie is great.", 3.1);
        VaderScores scores = Scorer.Score("The movie is good");
        Assert.Equal(["The", "movie", "is", "good"], scores.Tokens);
        Assert.Equal([0.0, 0.0, 0.0, 1.9], scores.Valences);
        // pos = (1.9 + 1) / (2.9 + 3 neutral tokens), neu = 3 / 5.9.
        Assert.Equal(2.9 / 5.9, scores.Positive, 12);
        Assert.Equal(3.0 / 5.9, scores.Neutral, 12);
        Assert.Equal(0.0, scores.Negative);
    }

    [Fact]
    public void NegationFlipsAndDampensWithinThreeTokens()
    {
        // "not good": 1.9·(−0.74) = −1.406; compound −0.3412 (VADER's value).
        AssertSum("The movie is not good", 1.9 * -0.74);
        Assert.Equal(-0.3412, Scorer.Compound("not good"), 4);
        AssertSum("It isn't good", 1.9 * -0.74);
        AssertSum("It isn’t good", 1.9 * -0.74); // typographic apostrophe
        AssertSum("It isnt good", 1.9 * -0.74);
        AssertSum("never bad", -2.5 * -0.74);
        // Two negations: (−0.74)² = 0.5476.
        AssertSum("not not good", 1.9 * 0.5476);
        // Negation at distance 3 still applies…
        AssertSum("not the movie good", 1.9 * -0.74);
        // …but not at distance 4.
        AssertSum("not the whole movie good", 1.9);
        // "no" before a sentiment word is a negator with no valence of its own; alone it keeps its −1.2.
        AssertSum("no good", 1.9 * -0.74);
        AssertSum("No.", -1.2);
        // "least" (not after "at"/"very") negates; "at least" does not.
        AssertSum("the least happy", 2.7 * -0.74);
        AssertSum("at least happy", 2.7);
    }

    [Fact]
    public void BoostersAndDampenersMoveTheValenceAwayFromOrTowardZero()
    {
        AssertSum("The movie is very good", 1.9 + 0.293);
        AssertSum("The movie is slightly good", 1.9 - 0.293);
        AssertSum("The movie is very bad", -2.5 - 0.293);
        AssertSum("The movie is slightly bad", -2.5 + 0.293);
        // Distance 2: ×0.95.
        AssertSum("really quite good", 1.9 + 0.293 + (0.293 * 0.95));
        // Booster then negation, nearest first: (1.9 + 0.293)·(−0.74).
        AssertSum("not very good", (1.9 + 0.293) * -0.74);
        // "kind of": "kind" (2.4) has no valence and "of" acts as a dampener.
        AssertSum("it was kind of good", 1.9 - 0.293);
        VaderScores scores = Scorer.Score("it was kind of good");
        Assert.Equal(0.0, scores.Valences[2]);
    }

    [Fact]
    public void ContrastiveButHalvesBeforeAndAmplifiesAfter()
    {
        // good·0.5 + horrible·1.5 = 0.95 − 3.75 = −2.8.
        AssertSum("The food was good but the service was horrible", (1.9 * 0.5) + (-2.5 * 1.5));
        VaderScores scores = Scorer.Score("The food was good but the service was horrible");
        Assert.Equal(0.95, scores.Valences[3], 12);
        Assert.Equal(-3.75, scores.Valences[8], 12);
        AssertSum("bad but great", (-2.5 * 0.5) + (3.1 * 1.5));
        // Only the first "but" splits the text.
        AssertSum("bad but good but great", (-2.5 * 0.5) + (1.9 * 1.5) + (3.1 * 1.5));
    }

    [Fact]
    public void AllCapsEmphasisesOnlyAmongNonCapsWords()
    {
        AssertSum("The movie is GOOD", 1.9 + 0.733);
        AssertSum("The movie is BAD", -2.5 - 0.733);
        // Everything shouted: no differential, no emphasis.
        AssertSum("THE MOVIE IS GOOD", 1.9);
        AssertSum("GOOD", 1.9);
        // A shouted booster adds the caps increment to its own: 1.9 + 0.293 + 0.733.
        AssertSum("the movie is VERY good", 1.9 + 0.293 + 0.733);
        // "I" has a single letter, so it neither shouts nor makes an all-caps text mixed-case.
        AssertSum("I AM HAPPY", 2.7);
        AssertSum("I am HAPPY", 2.7 + 0.733);
    }

    [Fact]
    public void ExclamationAndQuestionMarksAmplifyTheSum()
    {
        AssertSum("The movie is good!", 1.9 + 0.292);
        AssertSum("The movie is good!!", 1.9 + (2 * 0.292));
        AssertSum("The movie is good!!!!!!!", 1.9 + (4 * 0.292)); // at most four count
        AssertSum("The movie is bad!", -2.5 - 0.292);
        AssertSum("The movie is good?", 1.9); // a single "?" adds nothing
        AssertSum("The movie is good??", 1.9 + (2 * 0.18));
        AssertSum("The movie is good?????", 1.9 + 0.96);
        // No sentiment: punctuation cannot create any.
        AssertSum("The movie!!!", 0.0);
    }

    [Fact]
    public void RulesCanBeSwitchedOffForALexiconOnlyBaseline()
    {
        var plain = new VaderSentimentScorer(rules: VaderRules.None);
        Assert.Equal(1.9, plain.Score("Not VERY good!!!").Sum, 12);
        Assert.Equal(1.9 - 2.5, plain.Score("good but bad").Sum, 12);
        var noPunctuation = new VaderSentimentScorer(rules: VaderRules.All & ~VaderRules.Punctuation);
        Assert.Equal(1.9 * -0.74, noPunctuation.Score("not good!!!").Sum, 12);
    }

    [Fact]
    public void EmoticonsAreKeptAsTokens()
    {
        AssertSum("great :)", 3.1 + 2.0);
        Assert.Equal(["great", ":)"], Scorer.Tokenize("great :)"));
        Assert.Equal(["good", "can't"], Scorer.Tokenize("\"good\" can't!"));
    }

    [Fact]
    public void CompoundIsClippedToUnitRange()
    {
        Assert.Equal(1.0, VaderSentimentScorer.Normalize(1e300));
        Assert.Equal(-1.0, VaderSentimentScorer.Normalize(-1e300));
        Assert.Equal(0.0, VaderSentimentScorer.Normalize(0.0));
        Assert.Equal(1.0 / 4.0, VaderSentimentScorer.Normalize(1.0)); // 1/√16
    }

    [Fact]
    public void ProbabilityIsALogisticMapOfTheCompound()
    {
        double compound = Norm(1.9);
        double p = 1.0 / (1.0 + Math.Exp(-5.0 * compound));
        Assert.Equal(["negative", "positive"], Scorer.Classes);
        Assert.Equal(p, Scorer.ProbabilityOf("good", "positive"), 12);
        Assert.Equal(1 - p, Scorer.ProbabilityOf("good", "negative"), 12);
        Assert.Equal([0.5, 0.5], Scorer.Predict("The table is wooden"));
        Assert.Equal(VaderSentimentScorer.NegativeClass, Scorer.Classify("The table is wooden")); // ties go to the lower index
        Assert.Equal(VaderSentimentScorer.PositiveClass, Scorer.Classify("good"));
        var shifted = new VaderSentimentScorer(slope: 2.0, intercept: -1.0);
        Assert.Equal(1.0 / (1.0 + Math.Exp(-((2.0 * compound) - 1.0))), shifted.ProbabilityOf("good", "positive"), 12);
        Assert.Equal([1, 0], Scorer.Classify(["great", "horrible"]));
        double[][] batch = Scorer.Predict(["great", "horrible"]);
        Assert.All(batch, row => Assert.Equal(1.0, row.Sum(), 12));
    }

    [Fact]
    public void CalibrationFitsSlopeAndInterceptOnLabelledTexts()
    {
        (string, string)[] labelled =
        [
            ("good", "positive"), ("great", "positive"), ("very good", "positive"), ("happy", "positive"), ("not bad", "positive"),
            ("bad", "negative"), ("horrible", "negative"), ("not good", "negative"), ("sad", "negative"), ("very bad", "negative"),
            ("good but sad", "negative"),
        ];
        VaderSentimentScorer calibrated = Scorer.Calibrate(labelled);
        Assert.True(calibrated.Slope > 5.0, $"slope {calibrated.Slope}");
        Assert.Equal(1.0, calibrated.Evaluate(labelled).Accuracy);
        Assert.Throws<ArgumentException>(() => Scorer.Calibrate([("good", "positive")]));
    }

    [Fact]
    public void EvaluateReportsAccuracyPerClassAndConfusion()
    {
        // good → positive (right), bad → negative (right), "not good" labelled positive → negative (wrong),
        // great labelled negative → positive (wrong), horrible → negative (right).
        ScorerEvaluation evaluation = Scorer.Evaluate(
        [
            ("good", "positive"), ("bad", "negative"), ("not good", "positive"), ("great", "negative"), ("horrible", "negative"),
        ]);
        Assert.Equal(5, evaluation.Count);
        Assert.Equal(3, evaluation.Correct);
        Assert.Equal(0.6, evaluation.Accuracy, 12);
        Assert.Equal(2.0 / 3.0, evaluation.AccuracyOf("negative"), 12);
        Assert.Equal(0.5, evaluation.AccuracyOf("positive"), 12);
        Assert.Equal([[2, 1], [1, 1]], evaluation.Confusion);
        Assert.Equal([3, 2], evaluation.PerClassCount);
    }

    [Fact]
    public void UnknownClassesAndBadInputGiveClearErrors()
    {
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => Scorer.ProbabilityOf("good", "neutral"));
        Assert.Contains("'neutral'", unknown.Message);
        Assert.Contains("'positive'", unknown.Message);
        ArgumentException badLabel = Assert.Throws<ArgumentException>(() => Scorer.Evaluate([("good", "positive"), ("meh", "neutral")]));
        Assert.Contains("'neutral'", badLabel.Message);
        Assert.Contains("Example 1", badLabel.Message);
        Assert.Throws<ArgumentException>(() => Scorer.Evaluate([]));
        Assert.Throws<ArgumentNullException>(() => Scorer.Predict((string)null!));
        Assert.Throws<ArgumentException>(() => Scorer.Predict(["good", null!]));
        Assert.Throws<ArgumentException>(() => new VaderSentimentScorer(slope: double.NaN));
        Assert.Throws<ArgumentException>(() => VaderLexicon.FromEntries([]));
        Assert.Throws<FormatException>(() => VaderLexicon.FromTsv(new StringReader("good\tnot-a-number")));
    }

    [Fact]
    public void EmptyTextIsNeutral()
    {
        VaderScores scores = Scorer.Score("");
        Assert.Equal(0.0, scores.Compound);
        Assert.Empty(scores.Tokens);
        Assert.Equal([0.5, 0.5], Scorer.Predict("   "));
    }
}
