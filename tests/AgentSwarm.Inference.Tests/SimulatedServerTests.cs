using AgentSwarm.Abstractions;
using AgentSwarm.Inference.Simulated;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Tests;

public sealed class SimulatedServerTests
{
    private static readonly SimulatedGpuProfile Gpu = new("unit", "m", Slots: 4, PrefillMsPerToken: 0.1, StepBaseMs: 10, StepPerSequenceMs: 1, CacheBlocks: 100, BlockTokens: 4, "unit test");

    private static SimulatedSequence Sequence(string prompt, int output) =>
        new(SimulatedChatClient.Tokens(prompt), PrefixCache.Chain(prompt, Gpu.BlockTokens * SimulatedGpuProfile.CharsPerToken), output, null);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(1000)]
    public void TheChainReadFromTheMessagesIsTheChainOfTheRenderedPrompt(int blockChars)
    {
        LlmMessage[] messages =
        [
            new(LlmRole.System, "You are one of 100 players. Pick a number between 0 and 100."),
            new(LlmRole.User, "Round 1."),
            new(LlmRole.Assistant, "33.5"),
            new(LlmRole.User, string.Empty),
            new(LlmRole.User, "Round 2: the target was 22.1. Your number?"),
        ];
        var prompt = SimulatedChatClient.Render(messages);

        var chain = PrefixCache.Chain(messages, blockChars, out var length);

        Assert.Equal(prompt.Length, length);
        Assert.Equal(PrefixCache.Chain(prompt, blockChars), chain);
        Assert.Equal(prompt.Length / blockChars, chain.Length);
    }

    [Fact]
    public void ADecodeStepCostsBasePlusPerSequenceAndFinishesSequencesAfterTheirTokens()
    {
        var gpu = new SimulatedGpu(Gpu with { PrefillMsPerToken = 0 });
        for (var i = 0; i < 6; i++)
        {
            gpu.Enqueue(Sequence($"prompt {i}", output: 2));
        }

        var first = gpu.Step();
        Assert.Equal(4, first.Running);
        Assert.Equal(14, first.Milliseconds, 9);
        Assert.Empty(first.Finished);
        var second = gpu.Step();
        Assert.Equal(4, second.Finished.Count);
        var third = gpu.Step();
        Assert.Equal(2, third.Running);
        Assert.Equal(12, third.Milliseconds, 9);
        gpu.Step();
        Assert.True(gpu.Idle);
        Assert.Equal(6, gpu.Completed);
        Assert.Equal(12, gpu.OutputTokens);
    }

    [Fact]
    public void ASharedPrefixIsPrefilledOnceAndThenServedFromTheCache()
    {
        var gpu = new SimulatedGpu(Gpu with { StepBaseMs = 0, StepPerSequenceMs = 0 });
        var shared = new string('s', 160); // 40 tokens = 10 blocks of 4 tokens
        gpu.Enqueue(Sequence(shared + "first question", 1));
        var cold = gpu.Step();
        gpu.Enqueue(Sequence(shared + "another question", 1));
        var warm = gpu.Step();

        Assert.Equal(40 + 4, gpu.CachedPromptTokens + (warm.Milliseconds / Gpu.PrefillMsPerToken), 6);
        Assert.Equal(40, gpu.CachedPromptTokens);
        Assert.True(warm.Milliseconds < cold.Milliseconds / 5, $"warm {warm.Milliseconds} ms vs cold {cold.Milliseconds} ms");
    }

    [Fact]
    public void TheLeastRecentlyUsedBlocksAreEvictedFirst()
    {
        var cache = new PrefixCache(capacityBlocks: 4);
        cache.LookupAndInsert([1, 2]);
        cache.LookupAndInsert([3, 4]);
        Assert.Equal(2, cache.LookupAndInsert([1, 2]));
        cache.LookupAndInsert([5, 6]); // evicts 3 and 4, used least recently

        Assert.Equal(2, cache.LookupAndInsert([1, 2]));
        Assert.Equal(0, cache.LookupAndInsert([3]));
        Assert.Equal(3, cache.Evictions);
    }

    [Fact]
    public void CapacityFollowsTheModel()
    {
        // Full batch of 4: a step is 14 ms for 4 tokens; 10 output tokens and 20 prefill tokens per request.
        var expected = 1000.0 / ((10 * 14.0 / 4) + (20 * 0.1));
        Assert.Equal(expected, Gpu.CapacityPerSecond(20, 10), 9);
    }

    [Fact]
    public async Task TheClientAnswersWithTheScenarioResponderAndReportsTokens()
    {
        using var client = new SimulatedChatClient(new SimulatedServerOptions(SimulatedGpuProfile.Named["test-tiny"], VirtualClock: true), [new GuessSimulatedResponder()]);
        var request = new LlmRequest(
            [new LlmMessage(LlmRole.System, "Extract the number."), new LlmMessage(LlmRole.User, "I will go with 41.5, final answer.")],
            0, 16, null, new LlmHint("guess.extract", 3, 1, [double.NaN, 100, 2.0 / 3, 0]));
        var options = new ChatOptions { AdditionalProperties = new() { [SimulatedChatClient.RequestProperty] = request } };
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "ignored")], options);

        Assert.Equal("41.5", response.Text);
        Assert.True(response.Usage!.InputTokenCount > 5);
        Assert.Equal(1, response.Usage.OutputTokenCount);
        Assert.Equal(1, client.Snapshot().Completed);

        // What the server spent itself is counted apart from the engine's CPU (Linux tells a thread's CPU time).
        if (OperatingSystem.IsLinux())
        {
            Assert.True(client.Snapshot().CpuMs > 0);
        }
    }

    [Fact]
    public async Task AConfiguredShareOfAnswersIsMalformed()
    {
        using var client = new SimulatedChatClient(new SimulatedServerOptions(SimulatedGpuProfile.Named["test-tiny"], VirtualClock: true, MalformedShare: 0.3, Seed: 5), [new GuessSimulatedResponder()]);
        var malformed = 0;
        for (var agent = 0; agent < 400; agent++)
        {
            var request = new LlmRequest([new LlmMessage(LlmRole.User, "Round 1. Report your number.")], 0.7, 64, null, new LlmHint("guess.answer.directly", agent, 1, [double.NaN, 100, 2.0 / 3, 0]));
            var options = new ChatOptions { AdditionalProperties = new() { [SimulatedChatClient.RequestProperty] = request } };
            var text = (await client.GetResponseAsync([], options)).Text;
            if (!text.Any(char.IsAsciiDigit))
            {
                malformed++;
            }
        }

        Assert.InRange(malformed, 80, 160);
    }

    [Theory]
    [InlineData("ollama=http://localhost:11434/llama3.1:8b", BackendKind.Ollama, "http://localhost:11434/", "llama3.1:8b", 4)]
    [InlineData("openai=http://gpu1:8000/v1/meta-llama/Llama-3.1-8B-Instruct?parallel=64", BackendKind.OpenAi, "http://gpu1:8000/v1/", "meta-llama/Llama-3.1-8B-Instruct", 64)]
    [InlineData("vllm=https://h:443/v1/m", BackendKind.OpenAi, "https://h/v1/", "m", 256)]
    [InlineData("simulated=h100-llama3-8b", BackendKind.Simulated, null, "llama3-8b", 512)]
    [InlineData("simulated=h100-llama3-8b?slots=64", BackendKind.Simulated, null, "llama3-8b", 128)]
    [InlineData("simulated=h100-llama3-8b?parallel=300", BackendKind.Simulated, null, "llama3-8b", 300)]
    public void EndpointAddressesParse(string text, BackendKind kind, string? baseUri, string model, int parallel)
    {
        var address = EndpointAddress.Parse(text);
        Assert.Equal(kind, address.Kind);
        Assert.Equal(baseUri, address.BaseUri?.ToString());
        Assert.Equal(model, address.Model);
        Assert.Equal(parallel, address.Parallel);
    }

    [Theory]
    [InlineData("localhost:11434", "expected KIND=ADDRESS")]
    [InlineData("triton=http://h/m", "unknown kind 'triton'")]
    [InlineData("ollama=http://localhost:11434", "no model named")]
    [InlineData("openai=http://localhost:8000/m", "expected http://HOST:PORT/v1/MODEL")]
    [InlineData("ollama=ftp://h/m", "is not an http(s) URL")]
    [InlineData("simulated=tpu-v9", "unknown simulated profile 'tpu-v9'")]
    [InlineData("ollama=http://h/m?parallel=0", "parallel must be a positive whole number")]
    [InlineData("ollama=http://h/m?colour=red", "unknown option 'colour'")]
    public void BadEndpointAddressesAreRefusedWithTheReason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => EndpointAddress.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(text.Split('?')[0], error.Message, StringComparison.Ordinal);
    }
}
