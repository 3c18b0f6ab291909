using AgentSwarm.Inference.Pipeline;
using AgentSwarm.Scenarios.GuessTwoThirds;
using AgentSwarm.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentSwarm.Inference.Tests.PoolTestKit;

namespace AgentSwarm.Inference.Tests;

/// <summary>
/// The pool's stages are ordinary Microsoft.Extensions.AI decorators: each does its one job around any IChatClient
/// (here the OpenAI client talking to a server over its wire format), composed with ChatClientBuilder.
/// </summary>
public sealed class PipelineStageTests : IAsyncLifetime
{
    private FakeModelServer _server = null!;
    private IChatClient _backend = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeModelServer.StartAsync();
        var address = EndpointAddress.Parse($"openai={_server.BaseUri}v1/stage-model");
        _backend = new BackendChatClient(new BackendFactory([new GuessSimulatedResponder()], TimeProvider.System).Create(address), address);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
    }

    private static List<ChatMessage> Question(string text) => [new(ChatRole.System, "You are a player."), new(ChatRole.User, text)];

    private IChatClient Retrying(int attempts) =>
        new ChatClientBuilder(_backend).Use(inner => new RetryingChatClient(inner, attempts, FastOptions(), TimeProvider.System, NullLogger.Instance, "stage-test")).Build();

    [Fact]
    public async Task RetryingTriesAgainAfterAServerErrorButNeverAfterARefusal()
    {
        _server.Decide = (n, _) => n < 2 ? Behaviour.Error500 : Behaviour.Answer;
        var answer = await Retrying(3).GetResponseAsync(Question("hi"), new ChatOptions { Temperature = 0.7f });
        Assert.Equal("42", answer.Text);
        Assert.Equal(2, CallMetadata.Find(answer)?.Retries ?? -1);
        Assert.Equal(3, _server.Count);

        _server.Decide = (_, _) => Behaviour.NotFound404;
        var failed = await Assert.ThrowsAsync<LlmCallFailedException>(() => Retrying(3).GetResponseAsync(Question("hi"), new ChatOptions()));
        Assert.Contains("request refused (HTTP 404)", failed.Message, StringComparison.Ordinal);
        Assert.Equal(0, failed.Retries);
        Assert.Equal(4, _server.Count); // one more request: a 404 is not retried

        // A streaming caller passes through the stage too, and gets the whole answer.
        _server.Decide = (_, _) => Behaviour.Answer;
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in Retrying(3).GetStreamingResponseAsync(Question("stream"), new ChatOptions()))
        {
            updates.Add(update);
        }

        Assert.Equal("42", updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task CachingAnswersADeterministicQuestionOnceAndCountingSeesTheHit()
    {
        var counters = new LlmCounters();
        var client = new ChatClientBuilder(_backend)
            .Use(inner => new CountingChatClient(inner, counters, TimeProvider.System))
            .Use(inner => new ResponseCachingChatClient(inner, capacity: 16))
            .Build();

        var first = await client.GetResponseAsync(Question("same"), new ChatOptions { Temperature = 0 });
        var second = await client.GetResponseAsync(Question("same"), new ChatOptions { Temperature = 0 });
        var sampled = await client.GetResponseAsync(Question("same"), new ChatOptions { Temperature = 0.7f });
        var other = await client.GetResponseAsync(Question("another"), new ChatOptions { Temperature = 0 });

        Assert.All(new[] { first, second, sampled, other }, r => Assert.Equal("42", r.Text));
        Assert.Null(CallMetadata.Find(first)?.Served);
        Assert.Equal(CallMetadata.FromCache, CallMetadata.Find(second)?.Served);
        Assert.Null(CallMetadata.Find(sampled)?.Served);
        Assert.Equal(3, _server.Count); // the repeated deterministic question never reached the server

        var stats = counters.Snapshot("stage", 0, 0, false, 0);
        Assert.Equal(4, stats.Requests);
        Assert.Equal(3, stats.Completed);
        Assert.Equal(1, stats.CacheHits);
        Assert.True(stats.PromptTokens > 0, "the server's usage is counted");
    }
}
