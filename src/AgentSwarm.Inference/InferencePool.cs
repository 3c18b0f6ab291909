using System.Collections.Concurrent;
using System.ClientModel;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Inference.Simulated;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference;

/// <summary>
/// One silo's inference pool: the endpoints it knows (shared by runs that name the same address) and, per run, the
/// router, the response cache, the de-duplication of identical calls in flight, retries and counters.
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM call of run {RunId} failed on {Endpoint} (attempt {Attempt}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string runId, string endpoint, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Trace, Message = "LLM call of run {RunId} on {Endpoint}: {Prompt} -> {Answer}")]
    private static partial void LogCall(ILogger logger, string runId, string endpoint, string prompt, string answer);

    /// <summary>One run's view of the pool.</summary>
    private sealed class RunInference(string runId, LlmSpec spec, InferenceEndpoint[] endpoints, TimeProvider time, InferenceOptions options, ILogger logger)
    {
        private readonly LlmCounters _total = new(report: true);
        private readonly LlmCounters[] _perEndpoint = [.. endpoints.Select(_ => new LlmCounters())];

        // Servers outlive runs (one per address, as real ones): a run reports the GPU time spent since it began.
        private readonly double[] _busyAtStartMs = [.. endpoints.Select(e => e.Simulated?.Snapshot().BusyMs ?? 0)];
        private readonly ResponseCache _cache = new(options.CacheEntries);
        private readonly Dictionary<UInt128, SharedCall> _inFlight = [];
        private readonly string _models = string.Join(",", endpoints.Select(e => e.Address.Model).Distinct().Order(StringComparer.Ordinal));
        private int _roundRobin = -1;

        public IReadOnlyList<InferenceEndpoint> Endpoints => endpoints;

        public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            _total.Request();
            if (!spec.Cache || request.Temperature != 0)
            {
                return await CallWithRetriesAsync(request, cancellationToken);
            }

            // Deterministic calls: the same conversation gets the same answer, so it is asked once.
            var key = ResponseCache.Key(_models, request);
            if (_cache.TryGet(key, out var cached))
            {
                _total.CacheHit();
                return cached with { Cached = true, LatencyMs = 0, Retries = 0 };
            }

            // One call for every caller asking the same thing at once. Each caller may give up on its own; the call
            // itself is cancelled only when every caller sharing it has (then a newcomer starts a fresh one).
            SharedCall call;
            bool first;
            lock (_inFlight)
            {
                first = !_inFlight.TryGetValue(key, out call!) || call.Abandoned;
                if (first)
                {
                    call = new SharedCall();
                    _inFlight[key] = call;
                }

                call.Waiters++;
            }

            if (first)
            {
                _ = CallSharedAsync(key, call, request);
            }
            else
            {
                _total.Deduplicated();
            }

            try
            {
                var response = await call.Result.Task.WaitAsync(cancellationToken);
                return first ? response : response with { Cached = true };
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                lock (_inFlight)
                {
                    if (--call.Waiters == 0 && !call.Result.Task.IsCompleted)
                    {
                        call.Abandoned = true;
                        call.Stop.Cancel();
                    }
                }

                return new LlmResponse(LlmOutcome.Cancelled, null, "cancelled", 0, 0, null, 0, 0, false);
            }
        }

        private async Task CallSharedAsync(UInt128 key, SharedCall call, LlmRequest request)
        {
            try
            {
                var response = await CallWithRetriesAsync(request, call.Stop.Token);
                if (response.Ok)
                {
                    _cache.Set(key, response);
                }

                call.Result.TrySetResult(response);
            }
            catch (Exception ex)
            {
                call.Result.TrySetException(ex);
            }
            finally
            {
                lock (_inFlight)
                {
                    if (_inFlight.TryGetValue(key, out var current) && current == call)
                    {
                        _inFlight.Remove(key);
                    }
                }
            }
        }

        /// <summary>A deterministic call shared by every caller that asked for it while it was in flight.</summary>
        private sealed class SharedCall
        {
            public TaskCompletionSource<LlmResponse> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            /// <summary>Cancels the call, once every caller has given up on it.</summary>
            public CancellationTokenSource Stop { get; } = new();

            /// <summary>Callers waiting for it; guarded by the run's in-flight table.</summary>
            public int Waiters { get; set; }

            /// <summary>Every caller gave up: the call is being cancelled, so a newcomer must not join it.</summary>
            public bool Abandoned { get; set; }
        }

        public LlmRunStats Stats(string silo)
        {
            var perEndpoint = new LlmStats[endpoints.Length];
            var queued = 0;
            var inFlight = 0;
            double busy = 0;
            for (var i = 0; i < endpoints.Length; i++)
            {
                var endpoint = endpoints[i];
                var busySeconds = endpoint.Simulated is { } server ? (server.Snapshot().BusyMs - _busyAtStartMs[i]) / 1000.0 : 0;
                perEndpoint[i] = _perEndpoint[i].Snapshot(endpoint.Address.Text, endpoint.InFlight, endpoint.Queued, endpoint.CircuitOpen, busySeconds);
                queued += endpoint.Queued;
                inFlight += endpoint.InFlight;
                busy += busySeconds;
            }

            return new LlmRunStats(silo, _total.Snapshot("total", inFlight, queued, perEndpoint.All(e => e.CircuitOpen), busy), perEndpoint);
        }

        private async Task<LlmResponse> CallWithRetriesAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            var started = time.GetTimestamp();
            var prefix = PrefixKey(request);
            var error = "no endpoint tried";
            string? lastEndpoint = null;
            var previous = -1;
            var made = 0;
            for (var attempt = 0; attempt < Math.Max(1, spec.MaxAttempts); attempt++)
            {
                if (attempt > 0)
                {
                    _total.Retry();
                }

                var index = Route(prefix, previous);
                if (index < 0)
                {
                    error = $"all {endpoints.Length} endpoint(s) unavailable (circuit open after repeated failures); last error: {error}";
                    break;
                }

                var endpoint = endpoints[index];
                var counters = _perEndpoint[index];
                lastEndpoint = endpoint.Address.Text;
                previous = index;
                counters.Request();
                if (attempt > 0)
                {
                    counters.Retry();
                }

                var attemptStarted = time.GetTimestamp();
                made++;
                try
                {
                    var answer = await endpoint.CallAsync(request, spec, cancellationToken);
                    endpoint.Succeeded();
                    var latency = time.GetElapsedTime(attemptStarted).TotalMilliseconds;
                    counters.Complete(answer.PromptTokens, answer.CachedPromptTokens, answer.OutputTokens, latency);
                    var total = time.GetElapsedTime(started).TotalMilliseconds;
                    _total.Complete(answer.PromptTokens, answer.CachedPromptTokens, answer.OutputTokens, total);
                    if (logger.IsEnabled(LogLevel.Trace))
                    {
                        LogCall(logger, runId, lastEndpoint, request.Messages[^1].Text, answer.Text);
                    }

                    return new LlmResponse(LlmOutcome.Ok, answer.Text, null, answer.PromptTokens, answer.OutputTokens, lastEndpoint, total, attempt, false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return new LlmResponse(LlmOutcome.Cancelled, null, "cancelled", 0, 0, lastEndpoint, time.GetElapsedTime(started).TotalMilliseconds, attempt, false);
                }
                catch (Exception exception)
                {
                    var failure = Classify(exception);
                    error = failure.Message;
                    counters.Fail();
                    if (failure.CountsAgainstEndpoint)
                    {
                        endpoint.Failed();
                    }

                    LogAttemptFailed(logger, runId, lastEndpoint, attempt + 1, error);
                    if (!failure.Retryable || attempt + 1 >= spec.MaxAttempts)
                    {
                        break;
                    }

                    try
                    {
                        await Task.Delay(Backoff(attempt, failure.Backpressure), time, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        return new LlmResponse(LlmOutcome.Cancelled, null, "cancelled", 0, 0, lastEndpoint, time.GetElapsedTime(started).TotalMilliseconds, attempt, false);
                    }
                }
            }

            _total.Fail();
            // Retries actually made: a call that failed for good at once (a 404) was not retried.
            return LlmResponse.Failure(error, lastEndpoint, Math.Max(0, made - 1), time.GetElapsedTime(started).TotalMilliseconds);
        }

        /// <summary>
        /// Picks an endpoint among those whose circuit lets calls through, avoiding <paramref name="avoid"/> (the one that
        /// just failed) when there is another. Affinity: rendezvous hashing of the prompt prefix, so requests that share a
        /// system prompt and persona meet the same prefix cache, unless that endpoint is loaded well past the least loaded.
        /// </summary>
        private int Route(ulong prefix, int avoid)
        {
            Span<int> candidates = stackalloc int[endpoints.Length];
            var count = 0;
            for (var i = 0; i < endpoints.Length; i++)
            {
                if (endpoints[i].Available && (i != avoid || endpoints.Length == 1))
                {
                    candidates[count++] = i;
                }
            }

            if (count == 0 && avoid >= 0 && endpoints[avoid].Available)
            {
                candidates[count++] = avoid;
            }

            if (count == 0)
            {
                return -1;
            }

            var least = candidates[0];
            for (var c = 1; c < count; c++)
            {
                if (endpoints[candidates[c]].Load < endpoints[least].Load)
                {
                    least = candidates[c];
                }
            }

            switch (spec.Routing)
            {
                case LlmRouting.RoundRobin:
                    return candidates[(int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)count)];
                case LlmRouting.LeastLoaded:
                    return least;
                default:
                    var preferred = candidates[0];
                    ulong best = 0;
                    for (var c = 0; c < count; c++)
                    {
                        var score = Mix(prefix ^ endpoints[candidates[c]].Hash);
                        if (score >= best)
                        {
                            best = score;
                            preferred = candidates[c];
                        }
                    }

                    // Leave the preferred endpoint only when it is full and holds clearly more work than the least loaded one:
                    // the slack is in slots, so the time an endpoint can lag the others stays under one call's latency however
                    // deep the queues are (a ratio would let deep queues drift apart by whole seconds).
                    var preferredLoad = endpoints[preferred].Load;
                    return preferredLoad >= 1 && preferredLoad > endpoints[least].Load + options.AffinitySlack ? least : preferred;
            }
        }

        private TimeSpan Backoff(int attempt, bool backpressure)
        {
            var baseMs = options.BackoffBase.TotalMilliseconds * (backpressure ? 2 : 1) * Math.Pow(2, attempt);
            var jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
            return TimeSpan.FromMilliseconds(Math.Min(options.BackoffMax.TotalMilliseconds, baseMs * jitter));
        }

        /// <summary>The prompt's shared prefix: the system prompt (rules and persona) when there is one, else the first 1,024 characters.</summary>
        private static ulong PrefixKey(LlmRequest request)
        {
            var text = request.Messages.Length == 0 ? string.Empty : request.Messages[0].Text;
            if (request.Messages.Length > 0 && request.Messages[0].Role != LlmRole.System && text.Length > 1024)
            {
                text = text[..1024];
            }

            return Fnv1a.Hash(text);
        }

        private static ulong Mix(ulong x)
        {
            x ^= x >> 30;
            x *= 0xbf58476d1ce4e5b9;
            x ^= x >> 27;
            x *= 0x94d049bb133111eb;
            return x ^ (x >> 31);
        }
    }

    private readonly record struct Failure(string Message, bool Retryable, bool Backpressure, bool CountsAgainstEndpoint);

    /// <summary>Sorts a failed attempt: what to tell the user, whether to retry, and whether it is the endpoint's fault.</summary>
    private static Failure Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException timeout:
                    return new Failure($"timed out: {timeout.Message}", true, false, true);
                case HttpRequestException http when http.StatusCode is { } status:
                    return ByStatus((int)status, http.Message);
                case ClientResultException client when client.Status != 0:
                    return ByStatus(client.Status, client.Message);
                case JsonException json:
                    return new Failure($"malformed response: {json.Message}", true, false, true);
                case HttpRequestException http:
                    return new Failure($"connection failed: {http.Message}", true, false, true);
                case IOException io:
                    return new Failure($"connection failed: {io.Message}", true, false, true);
            }
        }

        return new Failure($"{exception.GetType().Name}: {exception.Message}", true, false, true);

        static Failure ByStatus(int status, string message) => status switch
        {
            503 or 429 => new Failure($"server busy (HTTP {status}): {message}", true, true, false),
            >= 500 => new Failure($"server error (HTTP {status}): {message}", true, false, true),
            _ => new Failure($"request refused (HTTP {status}): {message}", false, false, false),
        };
    }
}
