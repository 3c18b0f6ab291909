using Microsoft.Extensions.Options;

namespace AgentSwarm.Inference;

/// <summary>Settings of the inference pool on one silo.</summary>
public sealed class InferenceOptions
{
    /// <summary>Consecutive failed attempts that open an endpoint's circuit (default 5).</summary>
    public int BreakerFailures { get; set; } = 5;

    /// <summary>How long an open circuit refuses calls before one trial call may close it (default 30 s).</summary>
    public TimeSpan BreakerOpenTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Backoff before the first retry; it doubles with each retry, with +-20% jitter (default 200 ms).</summary>
    public TimeSpan BackoffBase { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest backoff between retries (default 10 s).</summary>
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Responses the exact-match cache keeps per run, least recently used evicted (default 100,000).</summary>
    public int CacheEntries { get; set; } = 100_000;

    /// <summary>
    /// Affinity routing leaves a full preferred endpoint when its load (calls on it or queued for it, per slot) exceeds
    /// the least loaded endpoint's by more than this (default 0.5: half its slots' worth of calls).
    /// </summary>
    public double AffinitySlack { get; set; } = 0.5;

    /// <summary>Requests an agent silo sends to an inference grain in one call, at most (default 128).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Inference grains per run; more spread a run over several inference silos (default 1).</summary>
    public int Shards { get; set; } = 1;

    /// <summary>LLM calls one agent silo lets wait on the pool at once; more wait in the agents (backpressure; default 250,000).</summary>
    public int MaxOutstanding { get; set; } = 250_000;
}

/// <summary>Checks the pool's settings at start: a bad bound stops the silo with a message naming the setting.</summary>
internal sealed class InferenceOptionsValidator : IValidateOptions<InferenceOptions>
{
    private const string Section = "AgentSwarm:Inference";

    public ValidateOptionsResult Validate(string? name, InferenceOptions options)
    {
        var problems = new List<string>();
        Positive(options.BreakerFailures, nameof(options.BreakerFailures));
        Positive(options.CacheEntries, nameof(options.CacheEntries));
        Positive(options.BatchSize, nameof(options.BatchSize));
        Positive(options.Shards, nameof(options.Shards));
        Positive(options.MaxOutstanding, nameof(options.MaxOutstanding));
        PositiveTime(options.BreakerOpenTime, nameof(options.BreakerOpenTime));
        PositiveTime(options.BackoffBase, nameof(options.BackoffBase));
        PositiveTime(options.BackoffMax, nameof(options.BackoffMax));
        if (options.BackoffMax < options.BackoffBase)
        {
            problems.Add($"{Section}:{nameof(options.BackoffMax)} ({options.BackoffMax}) must not be shorter than {nameof(options.BackoffBase)} ({options.BackoffBase})");
        }

        if (!(options.AffinitySlack >= 0))
        {
            problems.Add($"{Section}:{nameof(options.AffinitySlack)} must be 0 or more (got {options.AffinitySlack})");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);

        void Positive(int value, string setting)
        {
            if (value <= 0)
            {
                problems.Add($"{Section}:{setting} must be positive (got {value})");
            }
        }

        void PositiveTime(TimeSpan value, string setting)
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"{Section}:{setting} must be positive (got {value})");
            }
        }
    }
}
