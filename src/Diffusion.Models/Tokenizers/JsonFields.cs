using System.Text.Json;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Strict, typed access to the fields of a JSON object, with errors that name the component.</summary>
internal static class JsonFields
{
    /// <summary>Throws unless <paramref name="element"/> is an object whose keys are all in <paramref name="allowed"/>.</summary>
    /// <param name="element">The JSON value.</param>
    /// <param name="component">The component's name for error messages (e.g. "pre_tokenizer Split").</param>
    /// <param name="allowed">The keys the component may have.</param>
    public static void RequireKnownKeys(JsonElement element, string component, params string[] allowed)
    {
        RequireObject(element, component);
        foreach (var property in element.EnumerateObject())
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
                throw new TokenizerFormatException(
                    $"{component}: unknown key '{property.Name}' (supported keys: {string.Join(", ", allowed)}).");
        }
    }

    /// <summary>Throws unless <paramref name="element"/> is a JSON object.</summary>
    /// <param name="element">The JSON value.</param>
    /// <param name="component">The component's name for error messages.</param>
    public static void RequireObject(JsonElement element, string component)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException($"{component}: expected a JSON object, found {element.ValueKind}.");
    }

    /// <summary>The value of <paramref name="key"/>, or null when the key is absent or JSON null.</summary>
    /// <param name="element">A JSON object.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value or null.</returns>
    public static JsonElement? Optional(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>The value of a required key.</summary>
    /// <param name="element">A JSON object.</param>
    /// <param name="key">The key.</param>
    /// <param name="component">The component's name for error messages.</param>
    /// <returns>The value.</returns>
    public static JsonElement Required(JsonElement element, string key, string component) =>
        Optional(element, key) ?? throw new TokenizerFormatException($"{component}: missing required key '{key}'.");

    /// <summary>A boolean field, or <paramref name="defaultValue"/> when absent or null.</summary>
    /// <param name="element">A JSON object.</param>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The default.</param>
    /// <param name="component">The component's name for error messages.</param>
    /// <returns>The value.</returns>
    public static bool Bool(JsonElement element, string key, bool defaultValue, string component)
    {
        var value = Optional(element, key);
        if (value is null) return defaultValue;
        return value.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFormatException($"{component}: '{key}' must be true or false, found {value.Value.ValueKind}."),
        };
    }

    /// <summary>A string field, or null when absent or null.</summary>
    /// <param name="element">A JSON object.</param>
    /// <param name="key">The key.</param>
    /// <param name="component">The component's name for error messages.</param>
    /// <returns>The value or null.</returns>
    public static string? OptionalString(JsonElement element, string key, string component)
    {
        var value = Optional(element, key);
        if (value is null) return null;
        return AsString(value.Value, $"{component}: '{key}'");
    }

    /// <summary>A required string field.</summary>
    /// <param name="element">A JSON object.</param>
    /// <param name="key">The key.</param>
    /// <param name="component">The component's name for error messages.</param>
    /// <returns>The value.</returns>
    public static string String(JsonElement element, string key, string component) =>
        AsString(Required(element, key, component), $"{component}: '{key}'");

    /// <summary>A required non-negative 32-bit integer field.</summary>
    /// <param name="element">A JSON object.</param>
    /// <param name="key">The key.</param>
    /// <param name="component">The component's name for error messages.</param>
    /// <returns>The value.</returns>
    public static int Id(JsonElement element, string key, string component) =>
        AsId(Required(element, key, component), $"{component}: '{key}'");

    /// <summary>Reads a JSON string.</summary>
    /// <param name="value">The JSON value.</param>
    /// <param name="what">What it is, for error messages.</param>
    /// <returns>The string.</returns>
    public static string AsString(JsonElement value, string what) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new TokenizerFormatException($"{what} must be a string, found {value.ValueKind}.");

    /// <summary>Reads a JSON number as a non-negative 32-bit id.</summary>
    /// <param name="value">The JSON value.</param>
    /// <param name="what">What it is, for error messages.</param>
    /// <returns>The id.</returns>
    public static int AsId(JsonElement value, string what) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0
            ? id
            : throw new TokenizerFormatException($"{what} must be a non-negative 32-bit integer, found {value.GetRawText()}.");

    /// <summary>Throws unless <paramref name="element"/> is a JSON array.</summary>
    /// <param name="element">The JSON value.</param>
    /// <param name="what">What it is, for error messages.</param>
    /// <returns>The array's items.</returns>
    public static JsonElement.ArrayEnumerator Items(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Array
            ? element.EnumerateArray()
            : throw new TokenizerFormatException($"{what} must be an array, found {element.ValueKind}.");
}
