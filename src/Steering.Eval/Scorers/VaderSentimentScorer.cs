using DiffusionSteering.Steering.Eval.Probes;

namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// Lexicon sentiment scorer with the heuristics of VADER (Hutto &amp; Gilbert 2014), a two-class
/// {<c>negative</c>, <c>positive</c>} <see cref="IAttributeScorer"/>. The rules were written for this library from the
/// paper's description; the lexicon is VADER's own (<see cref="VaderLexicon.Default"/>, Apache-2.0).
/// </summary>
/// <remarks>
/// <para><b>Tokens.</b> The text is split on white space (typographic apostrophes become <c>'</c>). A token that is a
/// lexicon entry as written (an emoticon such as <c>:)</c>) is kept; otherwise leading and trailing punctuation and
/// symbols are stripped and tokens left empty are dropped. Only single tokens are looked up (multi-word entries such as
/// "fed up" are unused).</para>
/// <para><b>Valence of token i</b> (0 for words not in the lexicon, for booster words, and for "kind"/"sort" in
/// "kind of"/"sort of"): start from the lexicon value v; a negation word that is itself in the lexicon ("no") and is
/// followed by a lexicon word gets 0 (it acts as a negator instead).
/// <list type="number">
/// <item><b>Caps</b>: if the token is ALL CAPS (at least two letters, all upper case) and some other word of at
/// least two letters is not, v ← v + sign(v)·0.733. Words of fewer than two letters ("I", "a", emoticons) neither
/// count as shouting nor break an all-caps text.</item>
/// <item><b>Window</b>: for d = 1, 2, 3, the token w at i − d, unless w is a (non-negation) lexicon word:
/// a booster adds s·decay(d) with s = +0.293 (dampeners −0.293) signed to increase |v| (its sign flipped when
/// v &lt; 0), plus sign(v)·0.733 when w is ALL CAPS in a mixed-case text, and decay(1, 2, 3) = 1, 0.95, 0.9; then a
/// negation word multiplies v by −0.74. Distances are processed nearest first, so "not very good" =
/// (1.9 + 0.293)·(−0.74).</item>
/// <item><b>least</b>: "least" right before the token, not preceded by "at" or "very", multiplies v by −0.74.</item>
/// </list></para>
/// <para><b>Contrastive "but"</b>: with the first "but" at index b, valences before it are multiplied by 0.5 and
/// after it by 1.5.</para>
/// <para><b>Sum and punctuation</b>: x = Σ v. If x ≠ 0, x ← x + sign(x)·(0.292·min(#'!', 4) + q) with
/// q = 0.18·#'?' when 2–3 question marks, 0.96 when more, else 0.</para>
/// <para><b>Compound</b> = x / √(x² + 15), clipped to [−1, 1].</para>
/// <para><b>Probability.</b> P(positive) = σ(a·compound + b) with slope a = <see cref="Slope"/> (default 5) and
/// intercept b = <see cref="Intercept"/> (default 0), so a text without sentiment scores ½ (and classifies as
/// <c>negative</c>, the lower index, on that tie) and compound ±0.5 gives 0.924 / 0.076. <see cref="Calibrate"/> fits
/// a and b to labelled data (Platt scaling with a one-feature logistic regression).</para>
/// <para>Differences from the reference Python implementation: one negation window (three tokens) for every negation
/// word, including "no"; the word lists are this library's; ALL CAPS needs two letters (so "I" does not count either way);
/// "never so", "without doubt" and the idiom table are not modelled.</para>
/// </remarks>
public sealed class VaderSentimentScorer : AttributeScorer
{
    /// <summary>Index of <c>negative</c> in <see cref="Classes"/>.</summary>
    public const int NegativeClass = 0;

    /// <summary>Index of <c>positive</c> in <see cref="Classes"/>.</summary>
    public const int PositiveClass = 1;

    /// <summary>Factor applied to a valence by a negation word (VADER's empirically derived −0.74).</summary>
    public const double NegationScalar = -0.74;

    /// <summary>Increment of a booster word (dampeners: the negative).</summary>
    public const double BoosterIncrement = 0.293;

    /// <summary>Increment of an ALL-CAPS sentiment word among non-caps words.</summary>
    public const double CapsIncrement = 0.733;

    /// <summary>Increment per exclamation mark (at most <see cref="MaxExclamations"/> count).</summary>
    public const double ExclamationIncrement = 0.292;

    /// <summary>Most exclamation marks that add emphasis.</summary>
    public const int MaxExclamations = 4;

    /// <summary>Increment per question mark when there are two or three.</summary>
    public const double QuestionIncrement = 0.18;

    /// <summary>Question-mark amplifier for four or more.</summary>
    public const double MaxQuestionAmplifier = 0.96;

    /// <summary>Weight of valences before the first "but".</summary>
    public const double BeforeButWeight = 0.5;

    /// <summary>Weight of valences after the first "but".</summary>
    public const double AfterButWeight = 1.5;

    /// <summary>α of the compound normalisation x/√(x² + α).</summary>
    public const double NormalizationAlpha = 15.0;

    /// <summary>Tokens before a sentiment word that negation and boosters reach.</summary>
    public const int Window = 3;

    private static readonly double[] BoosterDecay = [1.0, 0.95, 0.9];
    private static readonly string[] ClassNames = ["negative", "positive"];

    private static readonly HashSet<string> Negations = new(StringComparer.Ordinal)
    {
        "not", "no", "never", "none", "nobody", "nothing", "nowhere", "neither", "nor", "cannot", "without",
        "rarely", "seldom", "nope", "uhuh", "uh-uh",
        "aint", "arent", "cant", "couldnt", "darent", "didnt", "doesnt", "dont", "hadnt", "hasnt", "havent", "isnt",
        "mightnt", "mustnt", "neednt", "oughtnt", "shant", "shouldnt", "wasnt", "werent", "wont", "wouldnt",
    };

    private static readonly Dictionary<string, double> Boosters = BuildBoosters();

    /// <summary>Creates a scorer.</summary>
    /// <param name="lexicon">The lexicon; <see cref="VaderLexicon.Default"/> when null.</param>
    /// <param name="rules">Heuristics to apply (default all).</param>
    /// <param name="slope">Slope a of P(positive) = σ(a·compound + b); finite.</param>
    /// <param name="intercept">Intercept b; finite.</param>
    public VaderSentimentScorer(VaderLexicon? lexicon = null, VaderRules rules = VaderRules.All, double slope = 5.0, double intercept = 0.0)
    {
        if (!double.IsFinite(slope))
        {
            throw new ArgumentException($"Slope must be finite; got {slope}.", nameof(slope));
        }

        if (!double.IsFinite(intercept))
        {
            throw new ArgumentException($"Intercept must be finite; got {intercept}.", nameof(intercept));
        }

        if ((rules & ~VaderRules.All) != 0)
        {
            throw new ArgumentException($"Unknown rule flags {rules}.", nameof(rules));
        }

        Lexicon = lexicon ?? VaderLexicon.Default;
        Rules = rules;
        Slope = slope;
        Intercept = intercept;
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> Classes => ClassNames;

    /// <summary>The lexicon.</summary>
    public VaderLexicon Lexicon { get; }

    /// <summary>The heuristics in use.</summary>
    public VaderRules Rules { get; }

    /// <summary>Slope a of P(positive) = σ(a·compound + b).</summary>
    public double Slope { get; }

    /// <summary>Intercept b of P(positive) = σ(a·compound + b).</summary>
    public double Intercept { get; }

    /// <summary>Whether a token (lower case) is one of the negation words (or contains "n't").</summary>
    /// <param name="token">The token.</param>
    public static bool IsNegation(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        string lower = token.ToLowerInvariant();
        return Negations.Contains(lower) || lower.Contains("n't", StringComparison.Ordinal);
    }

    /// <summary>The booster increment of a single word (+0.293 intensifier, −0.293 dampener, 0 otherwise).</summary>
    /// <param name="token">The token.</param>
    public static double BoosterValue(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Boosters.TryGetValue(token.ToLowerInvariant(), out double b) ? b : 0.0;
    }

    /// <summary>The normalisation x/√(x² + 15), clipped to [−1, 1].</summary>
    /// <param name="sum">The valence sum x.</param>
    public static double Normalize(double sum) =>
        Math.Abs(sum) > 1e100 ? Math.Sign(sum) : Math.Clamp(sum / Math.Sqrt((sum * sum) + NormalizationAlpha), -1.0, 1.0);

    /// <summary>The sentiment scores of a text.</summary>
    /// <param name="text">The text (not null).</param>
    public VaderScores Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] tokens = Tokenize(text);
        int n = tokens.Length;
        string[] lower = tokens.Select(t => t.ToLowerInvariant()).ToArray();
        bool[] shouting = tokens.Select(t => LetterCount(t) >= 2 && IsAllUpper(t)).ToArray();
        int shoutingCount = shouting.Count(s => s);
        int wordCount = tokens.Count(t => LetterCount(t) >= 2);
        bool capsDiffer = (Rules & VaderRules.Caps) != 0 && shoutingCount > 0 && shoutingCount < wordCount;

        var valences = new double[n];
        for (int i = 0; i < n; i++)
        {
            valences[i] = TokenValence(tokens, lower, shouting, capsDiffer, i);
        }

        if ((Rules & VaderRules.ContrastiveBut) != 0)
        {
            int but = Array.IndexOf(lower, "but");
            if (but >= 0)
            {
                for (int i = 0; i < n; i++)
                {
                    valences[i] *= i < but ? BeforeButWeight : i > but ? AfterButWeight : 1.0;
                }
            }
        }

        double sum = valences.Sum();
        double amplifier = (Rules & VaderRules.Punctuation) != 0 ? PunctuationAmplifier(text) : 0.0;
        if (sum > 0)
        {
            sum += amplifier;
        }
        else if (sum < 0)
        {
            sum -= amplifier;
        }

        double compound = sum == 0 ? 0.0 : Normalize(sum);

        double positive = 0, negative = 0;
        int neutral = 0;
        foreach (double v in valences)
        {
            if (v > 0)
            {
                positive += v + 1.0;
            }
            else if (v < 0)
            {
                negative += v - 1.0;
            }
            else
            {
                neutral++;
            }
        }

        if (positive > -negative)
        {
            positive += amplifier;
        }
        else if (positive < -negative)
        {
            negative -= amplifier;
        }

        double total = positive - negative + neutral;
        return total == 0
            ? new VaderScores(compound, 0, 0, 0, sum, tokens, valences)
            : new VaderScores(compound, positive / total, -negative / total, neutral / total, sum, tokens, valences);
    }

    /// <summary>The compound score of a text, in [−1, 1].</summary>
    /// <param name="text">The text.</param>
    public double Compound(string text) => Score(text).Compound;

    /// <summary>P(positive) for a compound score: σ(<see cref="Slope"/>·compound + <see cref="Intercept"/>).</summary>
    /// <param name="compound">A compound score.</param>
    public double PositiveProbability(double compound) => ScorerMath.Sigmoid((Slope * compound) + Intercept);

    /// <summary>
    /// A copy of this scorer whose slope and intercept are fitted to labelled texts by L2-regularised logistic
    /// regression of the label on the compound score (Platt scaling; λ = 1e-4, unstandardised).
    /// </summary>
    /// <param name="labelled">Texts labelled <c>negative</c> or <c>positive</c>; both must occur.</param>
    public VaderSentimentScorer Calibrate(IEnumerable<(string text, string label)> labelled)
    {
        ArgumentNullException.ThrowIfNull(labelled);
        var features = new List<double[]>();
        var labels = new List<int>();
        foreach ((string text, string label) in labelled)
        {
            int i = labels.Count;
            features.Add([Compound(text ?? throw new ArgumentException($"Text {i} is null.", nameof(labelled)))]);
            labels.Add(LabelIndex(label, i, nameof(labelled)));
        }

        if (labels.Count == 0)
        {
            throw new ArgumentException("At least one labelled text is required.", nameof(labelled));
        }

        if (!labels.Contains(NegativeClass) || !labels.Contains(PositiveClass))
        {
            throw new ArgumentException("Calibration needs examples of both classes.", nameof(labelled));
        }

        LogisticRegressionModel model = LogisticRegression.Fit(
            features.ToArray(), labels.ToArray(), new LogisticRegressionOptions { L2Penalty = 1e-4, Standardize = false });
        return new VaderSentimentScorer(Lexicon, Rules, model.GetCoefficients()[0][0], model.GetIntercepts()[0]);
    }

    /// <summary>The tokens the rules see (see the remarks on tokenisation).</summary>
    /// <param name="text">The text.</param>
    public string[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string normalized = text.Replace('\u2019', '\'').Replace('\u2018', '\'');
        var tokens = new List<string>();
        foreach (string raw in normalized.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Lexicon.Contains(raw))
            {
                tokens.Add(raw);
                continue;
            }

            int start = 0, end = raw.Length;
            while (start < end && IsPunctuation(raw[start]))
            {
                start++;
            }

            while (end > start && IsPunctuation(raw[end - 1]))
            {
                end--;
            }

            if (end > start)
            {
                tokens.Add(raw[start..end]);
            }
        }

        return tokens.ToArray();
    }

    /// <inheritdoc />
    protected override double[] PredictCore(string text)
    {
        double p = PositiveProbability(Compound(text));
        return [1.0 - p, p];
    }

    private double TokenValence(string[] tokens, string[] lower, bool[] shouting, bool capsDiffer, int i)
    {
        bool rulesBoost = (Rules & VaderRules.Boosters) != 0;
        bool rulesNegate = (Rules & VaderRules.Negation) != 0;
        if (BoosterAt(lower, i) != 0.0 || IsKindOf(lower, i) || !Lexicon.TryGetValence(tokens[i], out double v))
        {
            return 0.0;
        }

        if (rulesNegate && IsNegation(lower[i]) && i + 1 < tokens.Length && Lexicon.Contains(tokens[i + 1]))
        {
            return 0.0;
        }

        if (capsDiffer && shouting[i])
        {
            v += v > 0 ? CapsIncrement : -CapsIncrement;
        }

        for (int d = 1; d <= Window && i - d >= 0; d++)
        {
            int j = i - d;
            bool negation = IsNegation(lower[j]);
            if (!negation && Lexicon.Contains(tokens[j]))
            {
                continue;
            }

            if (rulesBoost)
            {
                double s = BoosterAt(lower, j);
                if (s != 0.0)
                {
                    if (v < 0)
                    {
                        s = -s;
                    }

                    if (capsDiffer && shouting[j])
                    {
                        s += v > 0 ? CapsIncrement : -CapsIncrement;
                    }

                    v += s * BoosterDecay[d - 1];
                }
            }

            if (rulesNegate && negation)
            {
                v *= NegationScalar;
            }
        }

        if (rulesNegate && i >= 1 && lower[i - 1] == "least" && (i < 2 || (lower[i - 2] != "at" && lower[i - 2] != "very")))
        {
            v *= NegationScalar;
        }

        return v;
    }

    /// <summary>Booster value at position j: a single booster word, or "of" in "kind of"/"sort of" (a dampener).</summary>
    private static double BoosterAt(string[] lower, int j)
    {
        if (Boosters.TryGetValue(lower[j], out double b))
        {
            return b;
        }

        return lower[j] == "of" && j > 0 && (lower[j - 1] == "kind" || lower[j - 1] == "sort") ? -BoosterIncrement : 0.0;
    }

    private static bool IsKindOf(string[] lower, int i) =>
        (lower[i] == "kind" || lower[i] == "sort") && i + 1 < lower.Length && lower[i + 1] == "of";

    private static int LetterCount(string token) => token.Count(char.IsLetter);

    private static bool IsAllUpper(string token) => token.All(c => !char.IsLetter(c) || char.IsUpper(c));

    private static bool IsPunctuation(char c) => char.IsPunctuation(c) || char.IsSymbol(c);

    private static double PunctuationAmplifier(string text)
    {
        int exclamations = 0, questions = 0;
        foreach (char c in text)
        {
            exclamations += c == '!' ? 1 : 0;
            questions += c == '?' ? 1 : 0;
        }

        double amplifier = Math.Min(exclamations, MaxExclamations) * ExclamationIncrement;
        if (questions > 1)
        {
            amplifier += questions <= 3 ? questions * QuestionIncrement : MaxQuestionAmplifier;
        }

        return amplifier;
    }

    private static Dictionary<string, double> BuildBoosters()
    {
        string[] up =
        [
            "absolutely", "amazingly", "awfully", "completely", "considerably", "decidedly", "deeply", "enormously",
            "entirely", "especially", "exceedingly", "exceptionally", "extremely", "fabulously", "fully", "greatly",
            "highly", "hugely", "incredibly", "insanely", "intensely", "majorly", "more", "most", "particularly",
            "purely", "quite", "really", "remarkably", "so", "substantially", "thoroughly", "totally", "tremendously",
            "unbelievably", "unusually", "utterly", "very", "hella", "fucking", "frigging",
        ];
        string[] down =
        [
            "almost", "barely", "hardly", "less", "little", "marginally", "occasionally", "partly", "scarcely",
            "slightly", "somewhat", "kinda", "sorta", "kindof", "sortof",
        ];
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string w in up)
        {
            map.Add(w, BoosterIncrement);
        }

        foreach (string w in down)
        {
            map.Add(w, -BoosterIncrement);
        }

        return map;
    }
}
