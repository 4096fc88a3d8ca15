using System.Text;

namespace DiffusionSteering.Diffusion.Models.Prompts;

/// <summary>One turn of a conversation.</summary>
/// <param name="Role">"system", "user" or "assistant".</param>
/// <param name="Content">The text.</param>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The chat formats of the Instruct checkpoints, rendered as text for the tokenizer (which matches the special tokens
/// before BPE). Encode the result with <c>addSpecialTokens: false</c>, as the reference code does.
/// </summary>
public static class ChatTemplates
{
    /// <summary>
    /// LLaDA-8B-Instruct's template (tokenizer_config.json <c>chat_template</c>): every message as
    /// <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n</c> + trimmed content + <c>&lt;|eot_id|&gt;</c>, the BOS
    /// before the first, and the assistant header always appended.
    /// </summary>
    public static string Llada(IReadOnlyList<ChatMessage> messages, string bosToken = "<|startoftext|>")
    {
        CheckMessages(messages);
        var text = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
        {
            if (i == 0) text.Append(bosToken);
            text.Append("<|start_header_id|>").Append(messages[i].Role).Append("<|end_header_id|>\n\n")
                .Append(messages[i].Content.Trim()).Append("<|eot_id|>");
        }
        return text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n").ToString();
    }

    /// <summary>
    /// Dream-v0-Instruct's ChatML format: <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message, the default
    /// system prompt "You are a helpful assistant." when the conversation has none, then <c>&lt;|im_start|&gt;assistant\n</c>.
    /// No BOS (Dream's chat format has none).
    /// </summary>
    public static string Dream(IReadOnlyList<ChatMessage> messages, string defaultSystemPrompt = "You are a helpful assistant.")
    {
        CheckMessages(messages);
        var text = new StringBuilder();
        if (messages[0].Role != "system") text.Append("<|im_start|>system\n").Append(defaultSystemPrompt).Append("<|im_end|>\n");
        foreach (var m in messages) text.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        return text.Append("<|im_start|>assistant\n").ToString();
    }

    /// <summary>A single user turn in LLaDA's format.</summary>
    public static string Llada(string userMessage) => Llada([new ChatMessage("user", userMessage)]);

    /// <summary>A single user turn in Dream's format.</summary>
    public static string Dream(string userMessage) => Dream([new ChatMessage("user", userMessage)]);

    private static void CheckMessages(IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0) throw new ArgumentException("a conversation needs at least one message", nameof(messages));
        foreach (var m in messages)
            if (m.Role is not ("system" or "user" or "assistant"))
                throw new ArgumentException($"unknown chat role '{m.Role}' (system, user or assistant)", nameof(messages));
    }
}
