using AgentSwarm.Abstractions;
using static AgentSwarm.Inference.Tests.PoolTestKit;

namespace AgentSwarm.Inference.Tests;

public sealed class PoolRoutingAndCacheTests : IAsyncLifetime
{
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly string[] FourSimulated =
    [
        "simulated=test-tiny?clock=virtual&seed=1",
        "simulated=test-tiny?clock=virtual&seed=2",
        "simulated=test-tiny?clock=virtual&seed=3",
        "simulated=test-tiny?clock=virtual&seed=4",
    ];

    [Fact]
    public async Task RequestsThatShareASystemPromptGoToTheSameEndpoint()
    {
        using var pool = Pool();
        var run = Run();
        var spec = Spec(FourSimulated);
        var byPersona = new Dictionary<string, HashSet<string>>();
        for (var persona = 0; persona < 12; persona++)
        {
            for (var call = 0; call < 5; call++)
            {
                // One at a time, so no endpoint is ever loaded: affinity alone decides.
                var response = await pool.CompleteAsync(run, spec, Ask($"question {call}", system: $"You are persona number {persona}."), CancellationToken.None);
                Assert.True(response.Ok, response.Error);
                (byPersona.TryGetValue($"{persona}", out var set) ? set : byPersona[$"{persona}"] = []).Add(response.Endpoint!);
            }
        }

        Assert.All(byPersona.Values, endpoints => Assert.Single(endpoints));
        Assert.True(byPersona.Values.Select(e => e.Single()).Distinct().Count() > 1, "12 personas all hashed to one endpoint");
    }

    [Fact]
    public async Task AffinityRebalancesWhenOneEndpointIsSwamped()
    {
        using var pool = Pool();
        var run = Run();
        var spec = Spec(FourSimulated);
        // 400 calls at once, all with one system prompt: affinity alone would queue them all on one 8-slot GPU.
        var calls = Enumerable.Range(0, 400).Select(i => pool.CompleteAsync(run, spec, Ask($"question {i}", system: "One shared persona."), CancellationToken.None)).ToArray();
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.True(r.Ok, r.Error));
        var perEndpoint = pool.Stats(run, "test")!.Endpoints.Select(e => e.Completed).ToArray();
        Assert.Equal(400, perEndpoint.Sum());
        Assert.True(perEndpoint.Count(c => c > 0) >= 3, $"calls stayed on too few endpoints: {string.Join(", ", perEndpoint)}");
        Assert.True(perEndpoint.Max() > perEndpoint.Min(), "affinity should still favour the preferred endpoint");
    }

    [Fact]
    public async Task RoundRobinSpreadsCallsEvenly()
    {
        using var pool = Pool();
        var run = Run();
        var spec = Spec(FourSimulated) with { Routing = LlmRouting.RoundRobin };
        for (var i = 0; i < 40; i++)
        {
            await pool.CompleteAsync(run, spec, Ask($"q{i}"), CancellationToken.None);
        }

        Assert.All(pool.Stats(run, "test")!.Endpoints, e => Assert.Equal(10, e.Completed));
    }

    [Fact]
    public async Task DeterministicCallsAreAnsweredOnceFromTheCache()
    {
        using var pool = Pool();
        var run = Run();
        var spec = Spec($"openai={_server.BaseUri}v1/m");
        for (var i = 0; i < 5; i++)
        {
            var response = await pool.CompleteAsync(run, spec, Ask("same question", temperature: 0), CancellationToken.None);
            Assert.True(response.Ok, response.Error);
            Assert.Equal(i > 0, response.Cached);
        }

        Assert.Equal(1, _server.Count);
        Assert.Equal(4, pool.Stats(run, "test")!.Total.CacheHits);
    }

    [Fact]
    public async Task IdenticalDeterministicCallsInFlightShareOneServerCall()
    {
        var release = new TaskCompletionSource();
        _server.AnswerText = _ =>
        {
            release.Task.Wait();
            return "7";
        };
        using var pool = Pool();
        var run = Run();
        var spec = Spec($"openai={_server.BaseUri}v1/m");
        var calls = Enumerable.Range(0, 10).Select(_ => pool.CompleteAsync(run, spec, Ask("same question", temperature: 0), CancellationToken.None)).ToArray();
        // Bounded: a call that never reaches the server fails the test instead of hanging it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_server.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the call never reached the server");
            await Task.Delay(5);
        }

        release.SetResult();
        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.Equal("7", r.Text));
        Assert.Equal(1, _server.Count);
        Assert.Equal(9, pool.Stats(run, "test")!.Total.Deduplicated);
    }

    [Fact]
    public async Task CallsAboveTemperatureZeroAreNeverCachedOrShared()
    {
        using var pool = Pool();
        var run = Run();
        var spec = Spec($"openai={_server.BaseUri}v1/m");
        var calls = Enumerable.Range(0, 6).Select(_ => pool.CompleteAsync(run, spec, Ask("same question", temperature: 0.7), CancellationToken.None));
        await Task.WhenAll(calls);
        await pool.CompleteAsync(run, spec, Ask("same question", temperature: 0.7), CancellationToken.None);

        Assert.Equal(7, _server.Count);
        var total = pool.Stats(run, "test")!.Total;
        Assert.Equal(0, total.CacheHits);
        Assert.Equal(0, total.Deduplicated);
    }

    [Fact]
    public async Task TheCacheCanBeTurnedOff()
    {
        using var pool = Pool();
        var run = Run();
        var spec = Spec($"openai={_server.BaseUri}v1/m") with { Cache = false };
        for (var i = 0; i < 3; i++)
        {
            await pool.CompleteAsync(run, spec, Ask("same question", temperature: 0), CancellationToken.None);
        }

        Assert.Equal(3, _server.Count);
    }
}
