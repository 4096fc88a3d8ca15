namespace DiffusionSteering.Steering.Eval.Statistics;

/// <summary>Sign of a contrastive feature's effect size.</summary>
public enum FeatureDirection
{
    /// <summary>d = 0: no direction; never kept.</summary>
    None,

    /// <summary>d &gt; 0: the feature is more active for class A.</summary>
    Positive,

    /// <summary>d &lt; 0: the feature is more active for class B.</summary>
    Negative,
}
