using Orleans.Concurrency;

namespace AgentSwarm.Abstractions;

public enum LlmRole : byte
{
    System,
    User,
    Assistant,
}

/// <summary>One message of a chat conversation sent to an LLM.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-message")]
public sealed record LlmMessage(LlmRole Role, string Text);

/// <summary>
/// What a scenario tells the simulated backend's responder about a request (which call of which agent, and numbers
/// it needs such as the game's rules and the last target). Real backends never see it; it is not part of the cache key.
/// </summary>
/// <param name="Words">Names the responder needs (AgentsNet: the agent's own name, then its neighbours'), or null.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-hint")]
public sealed record LlmHint(string Task, int Agent, int Round, double[] Values, string[]? Words = null);

/// <summary>One chat completion an agent asks for.</summary>
/// <param name="JsonSchema">When set, the answer must be a JSON object of this schema (structured output).</param>
/// <param name="Priority">0 for an agent's first call of a turn; above 0 for follow-up calls, which the pool serves
/// first so turns finish as the round goes. Not part of the cache key.</param>
/// <param name="TraceParent">The W3C trace parent of the agent's step (set by the inference client when the step is
/// traced), so the call's spans join the run's trace although calls travel to the pool in shared batches. Not part of
/// the cache key.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-request")]
public sealed record LlmRequest(
    LlmMessage[] Messages,
    double Temperature,
    int MaxOutputTokens,
    string? JsonSchema = null,
    LlmHint? Hint = null,
    int Priority = 0,
    string? TraceParent = null);

public enum LlmOutcome : byte
{
    Ok,
    Failed,
    Cancelled,
}

/// <summary>The answer to an <see cref="LlmRequest"/>, or why there is none. A failure is a value, never an exception.</summary>
/// <param name="Error">What went wrong, for the agent's memory and the run's counters (null when Ok).</param>
/// <param name="Endpoint">The endpoint that answered (or last failed), null when served from the cache.</param>
/// <param name="Retries">Attempts after the first.</param>
/// <param name="Cached">Served by the response cache or shared with an identical request in flight.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-response")]
public sealed record LlmResponse(
    LlmOutcome Outcome,
    string? Text,
    string? Error,
    int PromptTokens,
    int OutputTokens,
    string? Endpoint,
    double LatencyMs,
    int Retries,
    bool Cached)
{
    public bool Ok => Outcome == LlmOutcome.Ok;

    public static LlmResponse Failure(string error, string? endpoint = null, int retries = 0, double latencyMs = 0) =>
        new(LlmOutcome.Failed, null, error, 0, 0, endpoint, latencyMs, retries, false);
}

/// <summary>How the llm policy reaches its model servers, and the settings of every request.</summary>
/// <param name="Endpoints">Endpoint addresses: <c>ollama=http://host:11434/llama3.1:8b</c>,
/// <c>openai=http://host:8000/v1/meta-llama/Llama-3.1-8B-Instruct</c>, <c>simulated=h100-llama3-8b</c>; each may end in
/// <c>?parallel=N&amp;...</c>.</param>
/// <param name="Temperature">Sampling temperature (default 0.7). At 0 the response cache and de-duplication apply.</param>
/// <param name="MaxOutputTokens">Cap on tokens generated per call (default 256).</param>
/// <param name="MaxAttempts">Attempts per call on timeouts, 5xx and 503 before it fails (default 3).</param>
/// <param name="Timeout">Per-attempt timeout (default 2 minutes).</param>
/// <param name="Routing">affinity (prefix-affinity with least-loaded fallback, default), round-robin or least-loaded.</param>
/// <param name="Cache">Exact-match response cache and in-flight de-duplication for temperature-0 calls (default on).</param>
/// <param name="MaxFailureShare">Above this share of failed calls a completed run ends "degraded" (default 0.5).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-spec")]
public sealed record LlmSpec(
    string[] Endpoints,
    double Temperature = 0.7,
    int MaxOutputTokens = 256,
    int MaxAttempts = 3,
    TimeSpan Timeout = default,
    string Routing = LlmRouting.Affinity,
    bool Cache = true,
    double MaxFailureShare = LlmSpec.DefaultMaxFailureShare)
{
    /// <summary>A completed run in which more than this share of LLM calls failed ends "degraded" (default 0.5).</summary>
    public const double DefaultMaxFailureShare = 0.5;

    public TimeSpan EffectiveTimeout => Timeout > TimeSpan.Zero ? Timeout : TimeSpan.FromMinutes(2);
}

public static class LlmRouting
{
    public const string Affinity = "affinity";
    public const string RoundRobin = "round-robin";
    public const string LeastLoaded = "least-loaded";

    public static IReadOnlyList<string> All { get; } = [Affinity, RoundRobin, LeastLoaded];
}

/// <summary>Counters of one endpoint (or of a whole run, when <see cref="Endpoint"/> is "total").</summary>
/// <param name="Requests">Calls sent to the backend (attempts, retries included), or asked of the pool for the total.</param>
/// <param name="CacheHits">Calls answered by the response cache.</param>
/// <param name="Deduplicated">Calls that shared an identical call already in flight.</param>
/// <param name="LatencyBuckets">Latency histogram of completed calls, see <see cref="LatencyHistogram"/>.</param>
/// <param name="BusySeconds">Simulated backends: model time the GPU spent (prefill plus decode steps) since the run began (a server shared by concurrent runs counts all their work).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-stats")]
public sealed record LlmStats(
    string Endpoint,
    long Requests,
    long Completed,
    long Failed,
    long Retries,
    long CacheHits,
    long Deduplicated,
    long PromptTokens,
    long CachedPromptTokens,
    long OutputTokens,
    int InFlight,
    int Queued,
    bool CircuitOpen,
    long[] LatencyBuckets,
    double BusySeconds)
{
    public double LatencyPercentileMs(double p) => LatencyHistogram.Percentile(LatencyBuckets, p);
}

/// <summary>The inference pool's counters for one run on one silo: the total and each endpoint.</summary>
/// <param name="Silo">The silo whose pool counted these (pools on different silos add up).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.llm-run-stats")]
public sealed record LlmRunStats(string Silo, LlmStats Total, LlmStats[] Endpoints);

/// <summary>
/// Log-scale latency histogram: bucket i holds latencies in [2^(i/8), 2^((i+1)/8)) milliseconds (bucket 0 also
/// everything below 1 ms), so percentiles are within 9% and histograms from many silos add up exactly.
/// </summary>
public static class LatencyHistogram
{
    public const int Buckets = 8 * 24; // up to 2^24 ms, about 4.6 hours

    public static int BucketOf(double milliseconds)
    {
        if (!(milliseconds > 1))
        {
            return 0;
        }

        var index = (int)(Math.Log2(milliseconds) * 8);
        return Math.Min(index, Buckets - 1);
    }

    /// <summary>The upper edge of the bucket holding the p-th percentile (p in 0..100); 0 when empty.</summary>
    public static double Percentile(long[] buckets, double p)
    {
        long total = 0;
        foreach (var count in buckets)
        {
            total += count;
        }

        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(total * p / 100.0);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= Math.Max(rank, 1))
            {
                return Math.Pow(2, (i + 1) / 8.0);
            }
        }

        return Math.Pow(2, buckets.Length / 8.0);
    }
}

/// <summary>The pool's entry point: a batch of requests from one silo's agents, for one run.</summary>
[Alias("agentswarm.inference")]
public interface IInferenceGrain : IGrainWithStringKey
{
    /// <summary>Answers every request of the batch (failures as values). LLM calls are long, so the timeout is too.</summary>
    [ResponseTimeout("02:00:00")]
    [AlwaysInterleave]
    [Alias("complete")]
    Task<LlmResponse[]> CompleteAsync(string runId, LlmSpec spec, LlmRequest[] requests, CancellationToken cancellationToken = default);

    /// <summary>This silo's counters for the run, or null when this silo has served none of it.</summary>
    [AlwaysInterleave]
    [Alias("stats")]
    Task<LlmRunStats?> GetStatsAsync(string runId);

    /// <summary>The run is over: drops its counters, response cache and endpoints on this silo and returns the final counters.</summary>
    [Alias("release")]
    Task<LlmRunStats?> ReleaseRunAsync(string runId);
}
