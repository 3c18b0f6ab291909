using AgentSwarm.Abstractions;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// The options of a call through the pool's pipeline: Microsoft.Extensions.AI's options plus what the stages tell
/// each other on the way down, as typed fields rather than an <see cref="ChatOptions.AdditionalProperties"/>
/// dictionary (every call in a queue holds its options, a million of them at a time). None of it is sent to a
/// server: the backend stage builds the server's own options. Stages read these from plain options too (defaults).
/// </summary>
internal sealed class PoolChatOptions : ChatOptions
{
    public PoolChatOptions()
    {
    }

    private PoolChatOptions(PoolChatOptions other)
        : base(other)
    {
        Priority = other.Priority;
        Request = other.Request;
        Attempt = other.Attempt;
        Avoid = other.Avoid;
    }

    /// <summary>The call's priority at an endpoint's gate (above 0 goes ahead of first calls).</summary>
    public int Priority { get; set; }

    /// <summary>The pool's own request, which the simulated backend answers from.</summary>
    public LlmRequest? Request { get; set; }

    /// <summary>Which attempt this is (0 = the first), set by <see cref="RetryingChatClient"/>.</summary>
    public int Attempt { get; set; }

    /// <summary>The address of the endpoint the previous attempt failed on, for the router to avoid.</summary>
    public string? Avoid { get; set; }

    public override ChatOptions Clone() => new PoolChatOptions(this);

    /// <summary>A copy of <paramref name="options"/> (or new ones) that can carry the pipeline's fields; the caller's stay as they were.</summary>
    public static PoolChatOptions CopyOf(ChatOptions? options) => options switch
    {
        PoolChatOptions pool => new PoolChatOptions(pool),
        null => new PoolChatOptions(),
        _ => CopyPlain(options),
    };

    private static PoolChatOptions CopyPlain(ChatOptions options)
    {
        var copy = new PoolChatOptions
        {
            ModelId = options.ModelId,
            Temperature = options.Temperature,
            MaxOutputTokens = options.MaxOutputTokens,
            ResponseFormat = options.ResponseFormat,
        };
        if (options.AdditionalProperties is { } properties)
        {
            copy.AdditionalProperties = new AdditionalPropertiesDictionary(properties);
        }

        return copy;
    }
}

/// <summary>
/// What the pool's stages tell each other about one call's answer, where Microsoft.Extensions.AI leaves room for it:
/// one entry of <see cref="ChatResponse.AdditionalProperties"/> (<see cref="Key"/>) holding this object, so a call's
/// answer carries one typed record, not a boxed value per fact.
/// </summary>
internal sealed class CallMetadata
{
    /// <summary>The key of the entry in <see cref="ChatResponse.AdditionalProperties"/>.</summary>
    public const string Key = "agentswarm.call";

    /// <summary><see cref="Served"/>: the answer came from the response cache.</summary>
    public const string FromCache = "cache";

    /// <summary><see cref="Served"/>: the answer came from an identical call in flight.</summary>
    public const string Shared = "shared";

    /// <summary>The endpoint address that answered.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Retries made before the answer.</summary>
    public int Retries { get; set; }

    /// <summary>Milliseconds from the first attempt to the answer.</summary>
    public double LatencyMs { get; set; }

    /// <summary>Not from a server call of its own: <see cref="FromCache"/> or <see cref="Shared"/>; null when it was.</summary>
    public string? Served { get; set; }

    /// <summary>The response's metadata, or null when no stage has written any.</summary>
    public static CallMetadata? Find(ChatResponse response) =>
        response.AdditionalProperties is { } properties && properties.TryGetValue(Key, out var value) ? value as CallMetadata : null;

    /// <summary>The response's metadata, added when it has none yet.</summary>
    public static CallMetadata Of(ChatResponse response)
    {
        if (Find(response) is { } found)
        {
            return found;
        }

        var added = new CallMetadata();
        (response.AdditionalProperties ??= [])[Key] = added;
        return added;
    }

    /// <summary>
    /// A response that shares <paramref name="response"/>'s messages and usage but has its own metadata, so a cached or
    /// shared answer can be marked without touching the one other callers hold.
    /// </summary>
    public static ChatResponse Copy(ChatResponse response, string served)
    {
        var copy = new ChatResponse(response.Messages)
        {
            ResponseId = response.ResponseId,
            ModelId = response.ModelId,
            FinishReason = response.FinishReason,
            Usage = response.Usage,
            CreatedAt = response.CreatedAt,
            AdditionalProperties = response.AdditionalProperties is null ? [] : new AdditionalPropertiesDictionary(response.AdditionalProperties),
        };
        var source = Find(response);
        copy.AdditionalProperties[Key] = new CallMetadata
        {
            Endpoint = source?.Endpoint,
            Retries = source?.Retries ?? 0,
            LatencyMs = source?.LatencyMs ?? 0,
            Served = served,
        };
        return copy;
    }
}

/// <summary>
/// A call that failed for good (every attempt allowed was made, or the failure is not worth retrying): the message names
/// why, and where it was last tried.
/// </summary>
internal sealed class LlmCallFailedException(string message, string? endpoint, int retries, double latencyMs, Exception? inner = null)
    : Exception(message, inner)
{
    public string? Endpoint { get; } = endpoint;

    public int Retries { get; } = retries;

    public double LatencyMs { get; } = latencyMs;

    /// <summary>Reached this caller through a call it shared with another (de-duplication), not one of its own.</summary>
    public bool Shared { get; init; }

    public LlmCallFailedException AsShared() => new(Message, Endpoint, Retries, LatencyMs, InnerException) { Shared = true };
}

/// <summary>An attempt on one endpoint failed; carries which, so a retry can go elsewhere and the failure can name it.</summary>
internal sealed class EndpointCallException(string endpoint, Exception inner)
    : Exception($"{endpoint}: {inner.Message}", inner)
{
    public string Endpoint { get; } = endpoint;
}

/// <summary>No endpoint would take a call: every circuit is open.</summary>
internal sealed class NoEndpointAvailableException(int endpoints)
    : Exception($"all {endpoints} endpoint(s) unavailable (circuit open after repeated failures)");
