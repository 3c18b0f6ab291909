using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSwarm.Hosting;
using AgentSwarm.Web.Tests.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Web.Tests;

/// <summary>
/// A console whose OTEL_EXPORTER_OTLP_ENDPOINT points at an OTLP/HTTP receiver in the test: a run's spans (run, round,
/// partition step, each LLM call with the GenAI attributes) and the AgentSwarm and Orleans metrics arrive with their
/// names and attributes.
/// </summary>
/// <remarks>In the console collection: exporters listen process-wide, so no other test's run may go on meanwhile.</remarks>
[Collection(ConsoleCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task ARunsSpansAndMetricsReachAnOtlpReceiver()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var root = Path.Combine(Path.GetTempPath(), "agentswarm-otlp-" + Guid.NewGuid().ToString("N")[..8]);
        var scenarios = Path.Combine(root, "scenarios");
        Directory.CreateDirectory(scenarios);
        await File.WriteAllTextAsync(Path.Combine(scenarios, "llm.yaml"), """
            scenario: guess-two-thirds
            agents: 40
            rounds: 2
            policy: llm
            llm:
              endpoints:
                - simulated=test-tiny?clock=virtual
            """);
        var (settings, defaults) = EmbeddedSilo.Configuration(LogLevel.Warning, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_SERVICE_NAME"] = "agentswarm-test",
        });
        await using (var server = await ConsoleServer.StartAsync(settings, new ConsoleOptions { Urls = "http://127.0.0.1:0", Scenarios = scenarios, Runs = Path.Combine(root, "runs") }, defaults, CancellationToken.None))
        {
            // Start-up itself sends the host's start span and the first metrics, and waits until they are sent (so the
            // exporters' code is compiled before the first run, not during it).
            Assert.Contains(receiver.Spans, s => s.Name == "agentswarm.host.start");
            Assert.NotEmpty(receiver.MetricNames);

            using var http = new HttpClient { BaseAddress = new Uri(server.Addresses[0]) };
            var launched = await http.PostAsJsonAsync("/api/runs", new { scenario = "llm.yaml" });
            var id = (await launched.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await server.Runs.WhenIdleAsync();
            Assert.Equal("completed", (await http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}")).GetProperty("run").GetProperty("state").GetString());

            // Metrics are exported every 500 ms as running totals: one export can land between the two rounds, so wait for
            // the export that carries the whole run (CI once saw 1 round of 2 when only the names were waited for).
            await receiver.WaitForAsync(
                () => receiver.Spans.Any(s => s.Name == "agentswarm.run") && receiver.Spans.Count(s => s.Name.StartsWith("chat ", StringComparison.Ordinal)) >= 160
                    && receiver.MetricNames.Contains("agentswarm.llm.tokens") && receiver.SumOf("agentswarm.rounds") >= 2
                    && receiver.SumOf("agentswarm.agent_steps") >= 80 && receiver.SumOf("agentswarm.llm.calls") >= 160,
                TimeSpan.FromSeconds(30));

            var run = Assert.Single(receiver.Spans, s => s.Name == "agentswarm.run" && Attribute(s, "agentswarm.run.id") == id);
            Assert.Equal("guess-two-thirds", Attribute(run, "agentswarm.scenario"));
            var rounds = receiver.Spans.Where(s => s.Name == "agentswarm.round" && s.TraceId == run.TraceId).ToList();
            Assert.Equal(["1", "2"], rounds.Select(r => Attribute(r, "agentswarm.round")).Order());
            Assert.All(rounds, r => Assert.Equal(run.TraceId, r.TraceId));
            Assert.Contains(receiver.Spans, s => s.Name == "agentswarm.partition.step" && s.TraceId == run.TraceId);

            // LLM calls travel in the inference client's batches, which many agents share; each carries its agent's step,
            // so every call's span (the pool's, and M.E.AI's GenAI span beneath it) is in the run's trace.
            var calls = receiver.Spans.Where(s => s.Name.StartsWith("chat ", StringComparison.Ordinal)).ToList();
            Assert.Equal(160, calls.Count); // answer, then extract: two calls an agent a round, as AgentScope
            Assert.All(calls, c => Assert.Equal(run.TraceId, c.TraceId));
            var requests = receiver.Spans.Where(s => s.Name == "agentswarm.llm.request").ToList();
            Assert.Equal(160, requests.Count);
            Assert.All(requests, r => Assert.Equal(run.TraceId, r.TraceId));
            Assert.All(requests, r => Assert.Equal(id, Attribute(r, "agentswarm.run.id")));
            Assert.All(calls, c =>
            {
                Assert.Equal("chat", Attribute(c, "gen_ai.operation.name"));
                Assert.Equal("tiny", Attribute(c, "gen_ai.request.model")); // the model the simulated profile serves
                Assert.True(long.Parse(Attribute(c, "gen_ai.usage.input_tokens")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
                Assert.NotNull(Attribute(c, "gen_ai.usage.output_tokens"));
            });

            Assert.Equal(2, receiver.SumOf("agentswarm.rounds"));
            Assert.Equal(80, receiver.SumOf("agentswarm.agent_steps"));
            Assert.Equal(160, receiver.SumOf("agentswarm.llm.calls"));
            Assert.True(receiver.SumOf("agentswarm.llm.tokens", ("gen_ai.token.type", "input")) > 0);
            Assert.True(receiver.SumOf("agentswarm.llm.tokens", ("gen_ai.token.type", "output")) > 0);
            Assert.Contains("agentswarm.llm.latency", receiver.MetricNames);
            Assert.Contains("gen_ai.client.token.usage", receiver.MetricNames);
            Assert.Contains(receiver.MetricNames, n => n.StartsWith("orleans-", StringComparison.Ordinal) || n.StartsWith("orleans.", StringComparison.Ordinal));
            Assert.Equal("agentswarm-test", receiver.ServiceName);
        }

        Directory.Delete(root, recursive: true);
    }

    private static string? Attribute(ReceivedSpan span, string key) => span.Attributes.TryGetValue(key, out var value) ? value : null;

    private sealed record ReceivedSpan(string Name, string TraceId, IReadOnlyDictionary<string, string> Attributes);

    /// <summary>An OTLP/HTTP endpoint (protobuf bodies on /v1/traces and /v1/metrics) that keeps what it is sent.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
        private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, string> Attributes)> _points = new();
        private readonly ConcurrentDictionary<string, byte> _metricNames = new();
        private readonly SemaphoreSlim _arrived = new(0);

        private OtlpReceiver(WebApplication app) => _app = app;

        public string Address => _app.Urls.First();

        public IEnumerable<ReceivedSpan> Spans => _spans;

        public ICollection<string> MetricNames => _metricNames.Keys;

        public string? ServiceName { get; private set; }

        public static async Task<OtlpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new OtlpReceiver(app);
            app.MapPost("/v1/traces", async (HttpRequest request) => receiver.Traces(ExportTraceServiceRequest.Parser.ParseFrom(await BodyAsync(request))));
            app.MapPost("/v1/metrics", async (HttpRequest request) => receiver.Metrics(ExportMetricsServiceRequest.Parser.ParseFrom(await BodyAsync(request))));
            app.MapPost("/v1/logs", () => Results.Ok());
            await app.StartAsync();
            return receiver;
        }

        public double SumOf(string metric, params (string Key, string Value)[] where)
        {
            // Cumulative sums: each export repeats the running total, so the last point of each attribute set counts.
            var last = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, value, attributes) in _points)
            {
                if (name == metric && where.All(w => attributes.TryGetValue(w.Key, out var v) && v == w.Value))
                {
                    last[string.Join(",", attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"))] = value;
                }
            }

            return last.Values.Sum();
        }

        public async Task WaitForAsync(Func<bool> condition, TimeSpan limit)
        {
            using var timeout = new CancellationTokenSource(limit);
            while (!condition())
            {
                await _arrived.WaitAsync(timeout.Token);
            }
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();

        private static async Task<byte[]> BodyAsync(HttpRequest request)
        {
            using var memory = new MemoryStream();
            await request.Body.CopyToAsync(memory);
            return memory.ToArray();
        }

        private static Dictionary<string, string> Read(IEnumerable<KeyValue> attributes) =>
            attributes.ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
                AnyValue.ValueOneofCase.IntValue => a.Value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue ? "true" : "false",
                _ => string.Empty,
            });

        private IResult Traces(ExportTraceServiceRequest request)
        {
            foreach (var resource in request.ResourceSpans)
            {
                ServiceName ??= Read(resource.Resource?.Attributes ?? []).GetValueOrDefault("service.name");
                foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
                {
                    _spans.Enqueue(new ReceivedSpan(span.Name, Convert.ToHexString(span.TraceId.ToByteArray()), Read(span.Attributes)));
                }
            }

            _arrived.Release();
            return Results.Ok();
        }

        private IResult Metrics(ExportMetricsServiceRequest request)
        {
            foreach (var metric in request.ResourceMetrics.SelectMany(r => r.ScopeMetrics).SelectMany(s => s.Metrics))
            {
                _metricNames.TryAdd(metric.Name, 0);
                var points = metric.DataCase switch
                {
                    Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Select(p => (p.AsInt != 0 ? p.AsInt : p.AsDouble, Read(p.Attributes))),
                    Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Select(p => (p.AsInt != 0 ? p.AsInt : p.AsDouble, Read(p.Attributes))),
                    Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Select(p => ((double)p.Count, Read(p.Attributes))),
                    _ => [],
                };
                foreach (var (value, attributes) in points)
                {
                    _points.Enqueue((metric.Name, value, attributes));
                }
            }

            _arrived.Release();
            return Results.Ok();
        }
    }
}
