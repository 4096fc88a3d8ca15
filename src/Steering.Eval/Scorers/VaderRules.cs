namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>The heuristics of <see cref="VaderSentimentScorer"/> that can be switched off (for ablations; <see cref="None"/> is "lexicon sum only").</summary>
[Flags]
public enum VaderRules
{
    /// <summary>Plain sum of lexicon valences, normalised.</summary>
    None = 0,

    /// <summary>Negation words within the three preceding tokens multiply a valence by −0.74; "least" (not after "at"/"very") too.</summary>
    Negation = 1,

    /// <summary>Booster words add ±0.293 (dampeners subtract) in the direction of the valence, less with distance.</summary>
    Boosters = 2,

    /// <summary>Contrastive "but": valences before it ×0.5, after it ×1.5.</summary>
    ContrastiveBut = 4,

    /// <summary>An ALL-CAPS word among non-caps words adds ±0.733 to its valence (and to a booster's increment).</summary>
    Caps = 8,

    /// <summary>Exclamation marks (up to 4, 0.292 each) and repeated question marks amplify the sum.</summary>
    Punctuation = 16,

    /// <summary>All rules (the default).</summary>
    All = Negation | Boosters | ContrastiveBut | Caps | Punctuation,
}
