using DiffusionSteering.Diffusion.Models.Prompts;
using DiffusionSteering.Diffusion.Models.Tokenizers;
using DiffusionSteering.Tests;

namespace DiffusionSteering.Diffusion.Models.Tests.Prompts;

public class ChatTemplateTests
{
    [Fact]
    public void LladaMatchesTheReferenceTemplateOutput()
    {
        // The chat template's documented rendering of one user turn (content trimmed, assistant header appended).
        Assert.Equal("<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nHello there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplates.Llada("  Hello there \n"));
        var two = ChatTemplates.Llada([new ChatMessage("user", "a"), new ChatMessage("assistant", "b"), new ChatMessage("user", "c")]);
        Assert.Equal(1, two.Split("<|startoftext|>").Length - 1);
        Assert.EndsWith("<|start_header_id|>user<|end_header_id|>\n\nc<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", two);
    }

    [Fact]
    public void DreamUsesChatMlWithTheDefaultSystemPrompt()
    {
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplates.Dream("Hi"));
        var custom = ChatTemplates.Dream([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")]);
        Assert.StartsWith("<|im_start|>system\nBe brief.<|im_end|>\n", custom);
        Assert.Throws<ArgumentException>(() => ChatTemplates.Dream([new ChatMessage("robot", "x")]));
        Assert.Throws<ArgumentException>(() => ChatTemplates.Llada([]));
    }

    [Fact]
    public void ChatMarkersEncodeAsSingleSpecialTokensWithTheQwen2Tokenizer()
    {
        var tokenizer = Tokenizer.FromFile(FixturePaths.Fixture("tokenizers", "qwen2", "tokenizer.json"));
        var ids = tokenizer.Encode(ChatTemplates.Dream("Hi"), addSpecialTokens: false);
        var imStart = tokenizer.TokenToId("<|im_start|>")!.Value;
        var imEnd = tokenizer.TokenToId("<|im_end|>")!.Value;
        Assert.Equal(3, ids.Count(i => i == imStart));
        Assert.Equal(2, ids.Count(i => i == imEnd));
        Assert.Equal(imStart, ids[0]);
    }
}
