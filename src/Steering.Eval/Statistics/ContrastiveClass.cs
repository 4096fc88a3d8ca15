namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>The two classes of a contrastive comparison (e.g. A = positive sentiment, B = negative sentiment).</summary>
public enum ContrastiveClass
{
    /// <summary>Class A; positive effect sizes mean "more active in A".</summary>
    A,

    /// <summary>Class B.</summary>
    B,
}
