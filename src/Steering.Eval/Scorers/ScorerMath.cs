namespace DiffusionSteering.Steering.Eval.Scorers;

/// <summary>Small helpers shared by the scorers.</summary>
internal static class ScorerMath
{
    /// <summary>Index of the largest value; the lowest index on ties.</summary>
    public static int ArgMax(double[] values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>Numerically stable logistic function.</summary>
    public static double Sigmoid(double z)
    {
        if (z >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-z));
        }

        double e = Math.Exp(z);
        return e / (1.0 + e);
    }

    /// <summary>Checks a class list: at least two, none null or empty, all distinct (ordinal); returns a copy.</summary>
    public static string[] ValidateClasses(IEnumerable<string>? classes, string paramName)
    {
        if (classes is null)
        {
            throw new ArgumentNullException(paramName);
        }

        string[] copy = classes.ToArray();
        if (copy.Length < 2)
        {
            throw new ArgumentException($"A scorer needs at least two classes; got {copy.Length}.", paramName);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < copy.Length; k++)
        {
            if (string.IsNullOrEmpty(copy[k]))
            {
                throw new ArgumentException($"Class {k} has no name; class names must be non-empty.", paramName);
            }

            if (!seen.Add(copy[k]))
            {
                throw new ArgumentException($"Class '{copy[k]}' appears more than once.", paramName);
            }
        }

        return copy;
    }

    /// <summary>
    /// Maps string labels to indices into the sorted (ordinal) set of distinct labels, or into <paramref name="classes"/>
    /// when given (then every given class must occur and every label must be one of them).
    /// </summary>
    public static (string[] Classes, int[] Labels) IndexLabels(IReadOnlyList<string> labels, IEnumerable<string>? classes, string paramName)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrEmpty(labels[i]))
            {
                throw new ArgumentException($"Label of example {i} is null or empty.", paramName);
            }
        }

        string[] names = classes is null
            ? labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray()
            : ValidateClasses(classes, nameof(classes));
        if (names.Length < 2)
        {
            throw new ArgumentException(
                $"Training data must contain at least two classes; found only {(names.Length == 0 ? "none" : $"'{names[0]}'")}.", paramName);
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < names.Length; k++)
        {
            index.Add(names[k], k);
        }

        var result = new int[labels.Count];
        var counts = new int[names.Length];
        for (int i = 0; i < labels.Count; i++)
        {
            if (!index.TryGetValue(labels[i], out int k))
            {
                throw new ArgumentException(
                    $"Example {i} has label '{labels[i]}', which is not one of the classes ({string.Join(", ", names.Select(c => $"'{c}'"))}).", paramName);
            }

            result[i] = k;
            counts[k]++;
        }

        for (int k = 0; k < names.Length; k++)
        {
            if (counts[k] == 0)
            {
                throw new ArgumentException($"Class '{names[k]}' has no training examples.", paramName);
            }
        }

        return (names, result);
    }
}
