namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>
/// An offline attribute scorer: text → probability of each class of one attribute (sentiment, topic, formality, …).
/// Every scorer in this library runs without network access and can report its accuracy on held-out labelled data
/// through <see cref="Evaluate"/>.
/// </summary>
/// <remarks>
/// Implementations should derive from <see cref="AttributeScorer"/>, which supplies everything except
/// <see cref="Classes"/> and <see cref="Predict(string)"/> with the shared argument checks.
/// </remarks>
public interface IAttributeScorer
{
    /// <summary>The class names, in the order of the probability vectors (distinct, at least two).</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>Probability of each class for one text (length <see cref="Classes"/>.Count, non-negative, summing to 1).</summary>
    /// <param name="text">The text (not null; may be empty).</param>
    double[] Predict(string text);

    /// <summary>Probabilities for each text, in order.</summary>
    /// <param name="texts">The texts (none null).</param>
    double[][] Predict(IEnumerable<string> texts);

    /// <summary>Index (into <see cref="Classes"/>) of the most probable class; ties go to the lowest index.</summary>
    /// <param name="text">The text.</param>
    int Classify(string text);

    /// <summary>Most probable class index for each text.</summary>
    /// <param name="texts">The texts.</param>
    int[] Classify(IEnumerable<string> texts);

    /// <summary>Probability of the class named <paramref name="className"/> (ordinal match).</summary>
    /// <param name="text">The text.</param>
    /// <param name="className">One of <see cref="Classes"/>; any other name throws an <see cref="ArgumentException"/> that names it.</param>
    double ProbabilityOf(string text, string className);

    /// <summary>Index of a class name in <see cref="Classes"/>; unknown names throw an <see cref="ArgumentException"/> that names them.</summary>
    /// <param name="className">The class name (ordinal match).</param>
    int IndexOf(string className);

    /// <summary>Accuracy, per-class accuracy and confusion matrix on held-out labelled texts.</summary>
    /// <param name="heldOut">At least one (text, label) pair; every label must be one of <see cref="Classes"/>.</param>
    ScorerEvaluation Evaluate(IEnumerable<(string text, string label)> heldOut);
}
