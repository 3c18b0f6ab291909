using AgentSwarm.Abstractions;

namespace AgentSwarm.Inference;

/// <summary>Thread-safe counters behind an <see cref="LlmStats"/>.</summary>
/// <param name="report">Also count into the AgentSwarm meter (a run's totals do; its per-endpoint counters would count twice).</param>
internal sealed class LlmCounters(bool report = false)
{
    private static readonly KeyValuePair<string, object?> Input = new("gen_ai.token.type", "input");
    private static readonly KeyValuePair<string, object?> Output = new("gen_ai.token.type", "output");

    private readonly long[] _latency = new long[LatencyHistogram.Buckets];
    private long _requests;
    private long _completed;
    private long _failed;
    private long _retries;
    private long _cacheHits;
    private long _deduplicated;
    private long _promptTokens;
    private long _cachedPromptTokens;
    private long _outputTokens;

    public void Request()
    {
        Interlocked.Increment(ref _requests);
        if (report)
        {
            AgentSwarmTelemetry.LlmCalls.Add(1);
        }
    }

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Retry(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _retries, count);
        }
    }

    public void Fail()
    {
        Interlocked.Increment(ref _failed);
        if (report)
        {
            AgentSwarmTelemetry.LlmFailures.Add(1);
        }
    }

    public void CacheHit()
    {
        Interlocked.Increment(ref _cacheHits);
        if (report)
        {
            AgentSwarmTelemetry.LlmCacheHits.Add(1);
        }
    }

    public void Deduplicated() => Interlocked.Increment(ref _deduplicated);

    public void Complete(int promptTokens, int cachedPromptTokens, int outputTokens, double latencyMs)
    {
        Interlocked.Increment(ref _completed);
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _cachedPromptTokens, cachedPromptTokens);
        Interlocked.Add(ref _outputTokens, outputTokens);
        Interlocked.Increment(ref _latency[LatencyHistogram.BucketOf(latencyMs)]);
        if (report)
        {
            AgentSwarmTelemetry.LlmTokens.Add(promptTokens, Input);
            AgentSwarmTelemetry.LlmTokens.Add(outputTokens, Output);
            AgentSwarmTelemetry.LlmLatency.Record(latencyMs / 1000);
        }
    }

    public LlmStats Snapshot(string endpoint, int inFlight, int queued, bool circuitOpen, double busySeconds)
    {
        var latency = new long[_latency.Length];
        for (var i = 0; i < latency.Length; i++)
        {
            latency[i] = Volatile.Read(ref _latency[i]);
        }

        return new LlmStats(
            endpoint,
            Volatile.Read(ref _requests),
            Volatile.Read(ref _completed),
            Volatile.Read(ref _failed),
            Volatile.Read(ref _retries),
            Volatile.Read(ref _cacheHits),
            Volatile.Read(ref _deduplicated),
            Volatile.Read(ref _promptTokens),
            Volatile.Read(ref _cachedPromptTokens),
            Volatile.Read(ref _outputTokens),
            inFlight,
            queued,
            circuitOpen,
            latency,
            busySeconds);
    }
}

/// <summary>Adds up stats from several silos (same endpoint names) into one view.</summary>
public static class LlmStatsMath
{
    public static LlmStats Add(LlmStats a, LlmStats b)
    {
        var latency = new long[Math.Max(a.LatencyBuckets.Length, b.LatencyBuckets.Length)];
        for (var i = 0; i < latency.Length; i++)
        {
            latency[i] = (i < a.LatencyBuckets.Length ? a.LatencyBuckets[i] : 0) + (i < b.LatencyBuckets.Length ? b.LatencyBuckets[i] : 0);
        }

        return new LlmStats(
            a.Endpoint,
            a.Requests + b.Requests,
            a.Completed + b.Completed,
            a.Failed + b.Failed,
            a.Retries + b.Retries,
            a.CacheHits + b.CacheHits,
            a.Deduplicated + b.Deduplicated,
            a.PromptTokens + b.PromptTokens,
            a.CachedPromptTokens + b.CachedPromptTokens,
            a.OutputTokens + b.OutputTokens,
            a.InFlight + b.InFlight,
            a.Queued + b.Queued,
            a.CircuitOpen || b.CircuitOpen,
            latency,
            a.BusySeconds + b.BusySeconds);
    }

    /// <summary>The run's counters over every silo that served it.</summary>
    public static LlmRunStats? Merge(IEnumerable<LlmRunStats?> perSilo)
    {
        LlmRunStats? merged = null;
        foreach (var stats in perSilo)
        {
            if (stats is null)
            {
                continue;
            }

            if (merged is null)
            {
                merged = stats with { Silo = "all" };
                continue;
            }

            var endpoints = merged.Endpoints.ToDictionary(e => e.Endpoint, StringComparer.Ordinal);
            foreach (var endpoint in stats.Endpoints)
            {
                endpoints[endpoint.Endpoint] = endpoints.TryGetValue(endpoint.Endpoint, out var known) ? Add(known, endpoint) : endpoint;
            }

            merged = new LlmRunStats("all", Add(merged.Total, stats.Total), [.. endpoints.Values]);
        }

        return merged;
    }
}
