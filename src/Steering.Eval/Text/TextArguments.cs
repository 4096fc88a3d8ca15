namespace DiffusionSteering.Steering.Eval.Text;

/// <summary>Argument checks shared by the text metrics.</summary>
internal static class TextArguments
{
    public static void RequireOrder(int n)
    {
        if (n < 1)
        {
            throw new ArgumentException($"The n-gram order must be at least 1; got {n}.", nameof(n));
        }
    }

    public static T[] Tokens<T>(IReadOnlyList<T>? generation, int index, string paramName)
    {
        if (generation is null)
        {
            throw new ArgumentException($"Generation {index} is null.", paramName);
        }

        return generation as T[] ?? generation.ToArray();
    }
}
