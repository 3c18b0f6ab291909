using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Inference.Pipeline;
using AgentSwarm.Inference.Simulated;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference;

/// <summary>
/// One silo's inference pool: the endpoints it knows (shared by runs that name the same address) and, per run, a
/// pipeline of Microsoft.Extensions.AI chat clients over them: counting, the response cache, the de-duplication of
/// identical calls in flight, retries and routing, each a stage of its own (see <see cref="RunInference"/>).
/// </summary>
public sealed partial class InferencePool(BackendFactory backends, TimeProvider time, IOptions<InferenceOptions> options, ILogger<InferencePool> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, InferenceEndpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunInference> _runs = new(StringComparer.Ordinal);
    private readonly InferenceOptions _options = options.Value;

    /// <summary>Answers one call of run <paramref name="runId"/>. Never throws for a backend's fault: the response carries it.</summary>
    public Task<LlmResponse> CompleteAsync(string runId, LlmSpec spec, LlmRequest request, CancellationToken cancellationToken) =>
        Run(runId, spec).CompleteAsync(request, cancellationToken);

    /// <summary>Answers every call of a batch, each on its own as if it came alone.</summary>
    public async Task<LlmResponse[]> CompleteBatchAsync(string runId, LlmSpec spec, LlmRequest[] requests, CancellationToken cancellationToken)
    {
        var run = Run(runId, spec);
        var calls = new Task<LlmResponse>[requests.Length];
        for (var i = 0; i < requests.Length; i++)
        {
            calls[i] = run.CompleteAsync(requests[i], cancellationToken);
        }

        return await Task.WhenAll(calls);
    }

    /// <summary>This silo's counters for a run, or null when it served none of it.</summary>
    public LlmRunStats? Stats(string runId, string silo) => _runs.TryGetValue(runId, out var run) ? run.Stats(silo) : null;

    /// <summary>Drops a finished run's counters, response cache and in-flight table; returns its final counters (null: none here).</summary>
    public LlmRunStats? EndRun(string runId, string silo) => _runs.TryRemove(runId, out var run) ? run.Stats(silo) : null;

    /// <summary>Runs with per-run state on this silo (a long-lived silo must drop them as runs end).</summary>
    public int ActiveRuns => _runs.Count;

    /// <summary>The simulated servers a run uses (null for real ones), for benchmarks that read their own counters.</summary>
    public IReadOnlyList<SimulatedChatClient?> SimulatedServers(string runId) =>
        _runs.TryGetValue(runId, out var run) ? [.. run.Endpoints.Select(e => e.Simulated)] : [];

    public void Dispose()
    {
        foreach (var endpoint in _endpoints.Values)
        {
            endpoint.Dispose();
        }
    }

    private RunInference Run(string runId, LlmSpec spec) =>
        _runs.GetOrAdd(runId, static (id, state) => state.Pool.CreateRun(id, state.Spec), (Pool: this, Spec: spec));

    private RunInference CreateRun(string runId, LlmSpec spec)
    {
        if (spec.Endpoints.Length == 0)
        {
            throw new ArgumentException("the llm policy needs at least one endpoint (--llm KIND=ADDRESS)");
        }

        var endpoints = spec.Endpoints
            .Select(EndpointAddress.Parse)
            .Select(address => _endpoints.GetOrAdd(address.Text, _ => new InferenceEndpoint(address, backends.Create(address), time, _options)))
            .ToArray();
        return new RunInference(runId, spec, endpoints, time, _options, logger);
    }

    [LoggerMessage(Level = LogLevel.Trace, Message = "LLM call of run {RunId} on {Endpoint}: {Prompt} -> {Answer}")]
    private static partial void LogCall(ILogger logger, string runId, string? endpoint, string prompt, string answer);

    /// <summary>
    /// One run's view of the pool: a Microsoft.Extensions.AI pipeline, one concern a stage, outermost first:
    /// <list type="bullet">
    /// <item><see cref="CountingChatClient"/>: the run's totals (requests, answers, tokens, latency, cache hits, failures);</item>
    /// <item><see cref="ResponseCachingChatClient"/> and <see cref="DeduplicatingChatClient"/>: deterministic calls are
    /// answered once (when the run caches);</item>
    /// <item><see cref="AdmissionChatClient"/>: at most twice the endpoints' slots of the run's calls go further at once;</item>
    /// <item><see cref="RetryingChatClient"/>: attempts, back-off, the final failure;</item>
    /// <item><see cref="EndpointRoutingChatClient"/>: which endpoint, by prefix affinity, load or turn;</item>
    /// <item>per endpoint: <see cref="CountingChatClient"/> (its attempts), <see cref="EndpointChatClient"/> (circuit
    /// breaker, slots, deadline) and <see cref="BackendChatClient"/> around the server's own client.</item>
    /// </list>
    /// The pipeline speaks M.E.AI's types; this class turns the engine's <see cref="LlmRequest"/> into a call and the
    /// answer (or the failure the stages threw) into an <see cref="LlmResponse"/>.
    /// </summary>
    private sealed class RunInference
    {
        private readonly string _runId;
        private readonly InferenceEndpoint[] _endpoints;
        private readonly ILogger _logger;
        private readonly LlmCounters _total = new(report: true);
        private readonly LlmCounters[] _perEndpoint;
        private readonly IChatClient _pipeline;
        private AdmissionChatClient? _admission;

        // Servers outlive runs (one per address, as real ones): a run reports the GPU time spent since it began.
        private readonly double[] _busyAtStartMs;

        // A run asks with few schemas (usually one): parsed once, not per call.
        private readonly ConcurrentDictionary<string, ChatResponseFormat> _formats = new(StringComparer.Ordinal);

        public RunInference(string runId, LlmSpec spec, InferenceEndpoint[] endpoints, TimeProvider time, InferenceOptions options, ILogger logger)
        {
            _runId = runId;
            _endpoints = endpoints;
            _logger = logger;
            _perEndpoint = [.. endpoints.Select(_ => new LlmCounters())];
            _busyAtStartMs = [.. endpoints.Select(e => e.Simulated?.Snapshot().BusyMs ?? 0)];
            var routed = new RoutedEndpoint[endpoints.Length];
            for (var i = 0; i < endpoints.Length; i++)
            {
                var endpoint = endpoints[i];
                var counters = _perEndpoint[i];
                routed[i] = new RoutedEndpoint(endpoint, new ChatClientBuilder(new BackendChatClient(endpoint.Client, endpoint.Address))
                    .Use(inner => new CountingChatClient(inner, counters, time))
                    .Use(inner => new EndpointChatClient(inner, endpoint, spec.EffectiveTimeout, time))
                    .Build());
            }

            var pipeline = new ChatClientBuilder(new EndpointRoutingChatClient(routed, spec.Routing, options.AffinitySlack))
                .Use(inner => new CountingChatClient(inner, _total, time));
            if (spec.Cache)
            {
                pipeline.Use(inner => new ResponseCachingChatClient(inner, options.CacheEntries)).Use(inner => new DeduplicatingChatClient(inner, _total.Deduplicated));
            }

            _pipeline = pipeline
                .Use(inner => _admission = new AdmissionChatClient(inner, 2 * endpoints.Sum(e => e.Address.Parallel)))
                .Use(inner => new RetryingChatClient(inner, spec.MaxAttempts, options, time, logger, runId))
                .Build();
        }

        public IReadOnlyList<InferenceEndpoint> Endpoints => _endpoints;

        public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            // The call's own span, under the agent's step (it came in a batch shared with other agents): from the queue
            // to the answer, with M.E.AI's GenAI span of each attempt beneath it.
            using var activity = request.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, out var parent)
                ? AgentSwarmTelemetry.Source.StartActivity("agentswarm.llm.request", ActivityKind.Internal, parent)
                : null;
            activity?.SetTag("agentswarm.run.id", _runId).SetTag("agentswarm.agent", request.Hint?.Agent).SetTag("gen_ai.request.temperature", request.Temperature);
            try
            {
                var response = await _pipeline.GetResponseAsync(new LlmChatMessages(request.Messages), Options(request), cancellationToken);
                var metadata = CallMetadata.Find(response);
                var endpoint = metadata?.Endpoint;
                var text = response.Text ?? string.Empty;
                if (_logger.IsEnabled(LogLevel.Trace))
                {
                    LogCall(_logger, _runId, endpoint, request.Messages[^1].Text, text);
                }

                activity?.SetTag("agentswarm.llm.endpoint", endpoint).SetTag("agentswarm.llm.served", metadata?.Served);

                return new LlmResponse(
                    LlmOutcome.Ok,
                    text,
                    null,
                    (int)(response.Usage?.InputTokenCount ?? 0),
                    (int)(response.Usage?.OutputTokenCount ?? 0),
                    endpoint,
                    metadata?.LatencyMs ?? 0,
                    metadata?.Retries ?? 0,
                    metadata?.Served is not null);
            }
            catch (LlmCallFailedException failed)
            {
                activity?.SetStatus(ActivityStatusCode.Error, failed.Message);
                return new LlmResponse(LlmOutcome.Failed, null, failed.Message, 0, 0, failed.Endpoint, failed.LatencyMs, failed.Retries, failed.Shared);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new LlmResponse(LlmOutcome.Cancelled, null, "cancelled", 0, 0, null, 0, 0, false);
            }
        }

        public LlmRunStats Stats(string silo)
        {
            var perEndpoint = new LlmStats[_endpoints.Length];
            var queued = 0;
            var inFlight = 0;
            double busy = 0;
            for (var i = 0; i < _endpoints.Length; i++)
            {
                var endpoint = _endpoints[i];
                var busySeconds = endpoint.Simulated is { } server ? (server.Snapshot().BusyMs - _busyAtStartMs[i]) / 1000.0 : 0;
                perEndpoint[i] = _perEndpoint[i].Snapshot(endpoint.Address.Text, endpoint.InFlight, endpoint.Queued, endpoint.CircuitOpen, busySeconds);
                queued += endpoint.Queued;
                inFlight += endpoint.InFlight;
                busy += busySeconds;
            }

            // Calls not yet let in wait for the run's endpoints as surely as those in an endpoint's own queue.
            queued += _admission?.Waiting ?? 0;
            return new LlmRunStats(silo, _total.Snapshot("total", inFlight, queued, perEndpoint.All(e => e.CircuitOpen), busy), perEndpoint);
        }

        private ChatOptions Options(LlmRequest request)
        {
            var options = new PoolChatOptions
            {
                Temperature = (float)request.Temperature,
                MaxOutputTokens = request.MaxOutputTokens > 0 ? request.MaxOutputTokens : null,
                Priority = request.Priority,
                Request = request,
            };
            if (request.JsonSchema is { } schema)
            {
                options.ResponseFormat = _formats.GetOrAdd(schema, static text =>
                {
                    using var document = JsonDocument.Parse(text);
                    return ChatResponseFormat.ForJsonSchema(document.RootElement.Clone(), "answer");
                });
            }

            return options;
        }
    }
}
