using AgentSwarm.Abstractions;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>One endpoint as a run's router sees it: its shared state (load, circuit) and the run's pipeline to it.</summary>
internal sealed record RoutedEndpoint(InferenceEndpoint Endpoint, IChatClient Client);

/// <summary>
/// Sends each call to one endpoint among those whose circuit lets calls through, avoiding the one the previous attempt
/// failed on (<see cref="PoolChatOptions.Avoid"/>) when there is another. Affinity (the default): rendezvous hashing of the
/// prompt's prefix, so calls that share a system prompt and persona meet the same prefix cache, unless that endpoint
/// is loaded well past the least loaded one. No endpoint at all fails with <see cref="NoEndpointAvailableException"/>.
/// </summary>
internal sealed class EndpointRoutingChatClient(RoutedEndpoint[] endpoints, string routing, double affinitySlack) : IChatClient
{
    private int _roundRobin = -1;

    /// <summary>Not an async stage of its own: the chosen endpoint's stages name it in the answer or the failure.</summary>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var index = Route(PrefixKey(messages), AvoidIndex((options as PoolChatOptions)?.Avoid));
        return index < 0
            ? Task.FromException<ChatResponse>(new NoEndpointAvailableException(endpoints.Length))
            : endpoints[index].Client.GetResponseAsync(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        PoolChatClient.AsUpdates(token => GetResponseAsync(messages, options, token), cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        // The endpoints' clients belong to the pool, which outlives any run's router.
    }

    private int AvoidIndex(string? address)
    {
        if (address is not null)
        {
            for (var i = 0; i < endpoints.Length; i++)
            {
                if (endpoints[i].Endpoint.Address.Text == address)
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private int Route(ulong prefix, int avoid)
    {
        Span<int> candidates = stackalloc int[endpoints.Length];
        var count = 0;
        for (var i = 0; i < endpoints.Length; i++)
        {
            if (endpoints[i].Endpoint.Available && (i != avoid || endpoints.Length == 1))
            {
                candidates[count++] = i;
            }
        }

        if (count == 0 && avoid >= 0 && endpoints[avoid].Endpoint.Available)
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
            if (endpoints[candidates[c]].Endpoint.Load < endpoints[least].Endpoint.Load)
            {
                least = candidates[c];
            }
        }

        switch (routing)
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
                    var score = Mix(prefix ^ endpoints[candidates[c]].Endpoint.Hash);
                    if (score >= best)
                    {
                        best = score;
                        preferred = candidates[c];
                    }
                }

                // Leave the preferred endpoint only when it is full and holds clearly more work than the least loaded one:
                // the slack is in slots, so the time an endpoint can lag the others stays under one call's latency however
                // deep the queues are (a ratio would let deep queues drift apart by whole seconds).
                var preferredLoad = endpoints[preferred].Endpoint.Load;
                return preferredLoad >= 1 && preferredLoad > endpoints[least].Endpoint.Load + affinitySlack ? least : preferred;
        }
    }

    /// <summary>The prompt's shared prefix: the system prompt (rules and persona) when there is one, else the first 1,024 characters.</summary>
    private static ulong PrefixKey(IEnumerable<ChatMessage> messages)
    {
        var (text, system) = messages switch
        {
            LlmChatMessages { Source: var source } => source.Length == 0 ? (string.Empty, false) : (source[0].Text, source[0].Role == LlmRole.System),
            _ when messages.FirstOrDefault() is { } first => (first.Text, first.Role == ChatRole.System),
            _ => (string.Empty, false),
        };
        if (!system && text.Length > 1024)
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
