using System.Text.Encodings.Web;
using System.Text.Json;

namespace DiffusionSteering.Diffusion.Models.Tokenizers;

/// <summary>Writes a trained byte-level BPE tokenizer as a current-format Hugging Face <c>tokenizer.json</c>.</summary>
internal static class TokenizerJsonWriter
{
    /// <summary>Serialises <paramref name="result"/>.</summary>
    /// <param name="result">The training result.</param>
    /// <returns>The JSON text.</returns>
    public static string Write(BpeTrainingResult result)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");

            json.WriteStartArray("added_tokens");
            for (int id = 0; id < result.SpecialTokens.Count; id++)
            {
                json.WriteStartObject();
                json.WriteNumber("id", id);
                json.WriteString("content", result.SpecialTokens[id]);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteNull("normalizer");
            WriteByteLevel(json, "pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
            WriteByteLevel(json, "post_processor", addPrefixSpace: false, trimOffsets: false);
            WriteByteLevel(json, "decoder", addPrefixSpace: false, trimOffsets: true);

            json.WriteStartObject("model");
            json.WriteString("type", "BPE");
            json.WriteNull("dropout");
            json.WriteNull("unk_token");
            json.WriteNull("continuing_subword_prefix");
            json.WriteNull("end_of_word_suffix");
            json.WriteBoolean("fuse_unk", false);
            json.WriteBoolean("byte_fallback", false);
            json.WriteBoolean("ignore_merges", false);
            json.WriteStartObject("vocab");
            for (int id = 0; id < result.Vocabulary.Count; id++) json.WriteNumber(result.Vocabulary[id], id);
            json.WriteEndObject();
            json.WriteStartArray("merges");
            foreach (var (left, right) in result.Merges)
            {
                json.WriteStartArray();
                json.WriteStringValue(left);
                json.WriteStringValue(right);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static void WriteByteLevel(Utf8JsonWriter json, string name, bool addPrefixSpace, bool trimOffsets)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
    }
}
