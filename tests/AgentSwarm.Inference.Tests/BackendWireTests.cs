using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using static AgentSwarm.Inference.Tests.PoolTestKit;

namespace AgentSwarm.Inference.Tests;

/// <summary>The real OllamaSharp and OpenAI clients against servers that speak their wire formats, failures included.</summary>
public sealed class BackendWireTests : IAsyncLifetime
{
    private const string Schema = """{"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}""";
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Ollama(string options = "") => $"ollama={_server.BaseUri}llama3.1:8b{options}";

    private string OpenAi(string options = "") => $"openai={_server.BaseUri}v1/meta-llama/Llama-3.1-8B-Instruct{options}";

    [Theory]
    [InlineData("")]
    [InlineData("?stream=true")]
    [InlineData("?stream=false")]
    public async Task OllamaAnswersAndTheRequestCarriesModelContextKeepAliveAndSchema(string options)
    {
        _server.AnswerText = _ => "{\"number\": 33.5}";
        using var pool = Pool();
        var response = await pool.CompleteAsync(Run(), Spec(Ollama("?num_ctx=4096&keep_alive=10m" + options.Replace('?', '&'))), Ask("Pick a number.", schema: Schema), CancellationToken.None);

        Assert.True(response.Ok, response.Error);
        Assert.Equal("{\"number\": 33.5}", response.Text);
        Assert.Equal(17, response.PromptTokens);
        Assert.Equal(3, response.OutputTokens);
        var body = Assert.Single(_server.Requests);
        Assert.Equal("llama3.1:8b", body["model"]!.GetValue<string>());
        Assert.Equal("Pick a number.", body["messages"]![1]!["content"]!.GetValue<string>());
        Assert.Equal("system", body["messages"]![0]!["role"]!.GetValue<string>());
        Assert.Equal(4096, body["options"]!["num_ctx"]!.GetValue<int>());
        Assert.Equal(0.7, body["options"]!["temperature"]!.GetValue<double>(), 3);
        Assert.Equal("10m", body["keep_alive"]!.ToString());
        Assert.Equal("number", body["format"]!["properties"]!["number"]!["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?stream=true")]
    public async Task OpenAiCompatibleServerAnswersWithStructuredOutput(string options)
    {
        _server.AnswerText = _ => "{\"number\": 12}";
        using var pool = Pool();
        var response = await pool.CompleteAsync(Run(), Spec(OpenAi(options)), Ask("Pick a number.", schema: Schema), CancellationToken.None);

        Assert.True(response.Ok, response.Error);
        Assert.Equal("{\"number\": 12}", response.Text);
        Assert.Equal(3, response.OutputTokens);
        var body = Assert.Single(_server.Requests);
        Assert.Equal("meta-llama/Llama-3.1-8B-Instruct", body["model"]!.GetValue<string>());
        Assert.Equal("json_schema", body["response_format"]!["type"]!.GetValue<string>());
        Assert.Equal("object", body["response_format"]!["json_schema"]!["schema"]!["type"]!.GetValue<string>());
        Assert.Equal(options.Contains("stream", StringComparison.Ordinal), body["stream"]?.GetValue<bool>() ?? false);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ServerErrorsAreRetriedThenReportedAsAFailedCall(bool ollama)
    {
        _server.Decide = (_, _) => Behaviour.Error500;
        using var pool = Pool();
        var run = Run();
        var response = await pool.CompleteAsync(run, Spec(ollama ? Ollama() : OpenAi()), Ask("hi"), CancellationToken.None);

        Assert.Equal(LlmOutcome.Failed, response.Outcome);
        Assert.Contains("HTTP 500", response.Error, StringComparison.Ordinal);
        Assert.Equal(3, _server.Count);
        var stats = pool.Stats(run, "test")!;
        Assert.Equal(1, stats.Total.Failed);
        Assert.Equal(2, stats.Total.Retries);
        Assert.Equal(3, stats.Endpoints[0].Failed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BusyServerIsBackpressureRetriedWithoutOpeningTheCircuit(bool ollama)
    {
        _server.Decide = (n, _) => n < 2 ? Behaviour.Busy503 : Behaviour.Answer;
        using var pool = Pool(FastOptions(breakerFailures: 1));
        var run = Run();
        var response = await pool.CompleteAsync(run, Spec(ollama ? Ollama() : OpenAi()), Ask("hi"), CancellationToken.None);

        Assert.True(response.Ok, response.Error);
        Assert.Equal(2, response.Retries);
        Assert.False(pool.Stats(run, "test")!.Endpoints[0].CircuitOpen);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ASlowServerTimesOutInsteadOfHanging(bool ollama)
    {
        _server.Decide = (_, _) => Behaviour.Slow;
        using var pool = Pool();
        var run = Run();
        var spec = Spec(ollama ? Ollama() : OpenAi()) with { Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 2 };
        var response = await pool.CompleteAsync(run, spec, Ask("hi"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(LlmOutcome.Failed, response.Outcome);
        Assert.Contains("timed out", response.Error, StringComparison.Ordinal);
        var endpoint = pool.Stats(run, "test")!.Endpoints[0];
        Assert.Equal(2, endpoint.Requests);
        Assert.Equal(2, endpoint.Failed);
    }

    [Theory]
    [InlineData(true, Behaviour.MalformedJson)]
    [InlineData(false, Behaviour.MalformedJson)]
    [InlineData(true, Behaviour.CloseConnection)]
    [InlineData(false, Behaviour.CloseConnection)]
    public async Task GarbageOrADroppedConnectionIsAFailedAttemptThatIsRetried(bool ollama, Behaviour behaviour)
    {
        _server.Decide = (n, _) => n == 0 ? behaviour : Behaviour.Answer;
        using var pool = Pool();
        var run = Run();
        var response = await pool.CompleteAsync(run, Spec(ollama ? Ollama("?stream=false") : OpenAi()), Ask("hi"), CancellationToken.None);

        Assert.True(response.Ok, response.Error);
        Assert.Equal(1, response.Retries);
        var endpoint = pool.Stats(run, "test")!.Endpoints[0];
        Assert.Equal(2, endpoint.Requests);
        Assert.Equal(1, endpoint.Failed);
    }

    [Fact]
    public async Task AMissingModelIsNotRetried()
    {
        _server.Decide = (_, _) => Behaviour.NotFound404;
        using var pool = Pool();
        var response = await pool.CompleteAsync(Run(), Spec(OpenAi()), Ask("hi"), CancellationToken.None);

        Assert.Equal(LlmOutcome.Failed, response.Outcome);
        Assert.Contains("HTTP 404", response.Error, StringComparison.Ordinal);
        Assert.Equal(1, _server.Count);
        Assert.Equal(0, response.Retries); // it reported MaxAttempts - 1 = 2 before, retried or not
    }

    [Fact]
    public async Task AnOpenCircuitFailsCallsFastWithoutReachingTheServer()
    {
        _server.Decide = (_, _) => Behaviour.Error500;
        using var pool = Pool(FastOptions(breakerFailures: 3));
        var run = Run();
        var spec = Spec(OpenAi()) with { MaxAttempts = 1 };
        for (var i = 0; i < 3; i++)
        {
            await pool.CompleteAsync(run, spec, Ask("hi"), CancellationToken.None);
        }

        var response = await pool.CompleteAsync(run, spec, Ask("hi"), CancellationToken.None);

        Assert.Equal(LlmOutcome.Failed, response.Outcome);
        Assert.Contains("circuit open", response.Error, StringComparison.Ordinal);
        Assert.Equal(3, _server.Count);
        Assert.True(pool.Stats(run, "test")!.Endpoints[0].CircuitOpen);
    }

    [Fact]
    public async Task ARetryGoesToAnotherEndpointWhenThereIsOne()
    {
        await using var healthy = await FakeModelServer.StartAsync();
        _server.Decide = (_, _) => Behaviour.Error500;
        using var pool = Pool();
        var run = Run();
        var spec = Spec(OpenAi(), $"openai={healthy.BaseUri}v1/meta-llama/Llama-3.1-8B-Instruct");
        for (var i = 0; i < 8; i++)
        {
            var response = await pool.CompleteAsync(run, spec, Ask("hi", system: "persona " + i), CancellationToken.None);
            Assert.True(response.Ok, response.Error);
        }

        Assert.Equal(8, healthy.Count);
    }

    [Fact]
    public async Task CancellingACallEndsItAtOnce()
    {
        _server.Decide = (_, _) => Behaviour.Slow;
        using var pool = Pool();
        using var cancel = new CancellationTokenSource();
        var call = pool.CompleteAsync(Run(), Spec(OpenAi()), Ask("hi"), cancel.Token);
        // Bounded: a call that never reaches the server fails the test instead of hanging it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_server.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the call never reached the server");
            await Task.Delay(5);
        }

        await cancel.CancelAsync();
        var response = await call.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(LlmOutcome.Cancelled, response.Outcome);
    }
}
