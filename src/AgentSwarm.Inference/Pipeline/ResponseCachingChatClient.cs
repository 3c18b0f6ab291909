using System.Globalization;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="CachingChatClient"/> over one run's memory: deterministic (temperature 0)
/// answers, keyed by <see cref="ChatKey"/>, least recently used evicted past <paramref name="capacity"/>. Only answers
/// are kept (a failure throws past the cache). A hit comes back marked <see cref="CallMetadata.FromCache"/>, with no
/// latency and no retries of its own.
/// </summary>
internal sealed class ResponseCachingChatClient(IChatClient inner, int capacity) : CachingChatClient(inner)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, ChatResponse Value)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, ChatResponse Value)> _lru = new();
    private readonly Lock _lock = new();

    /// <summary>Calls that are not cached pass straight by, without the base class's await.</summary>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        EnableCaching(messages, options) ? base.GetResponseAsync(messages, options, cancellationToken) : InnerClient.GetResponseAsync(messages, options, cancellationToken);

    protected override bool EnableCaching(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        capacity > 0 && ChatKey.Deterministic(options) && base.EnableCaching(messages, options);

    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues) =>
        ChatKey.Of(messages, options).ToString("x32", CultureInfo.InvariantCulture);

    protected override Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        if (!TryGet(key, out var stored))
        {
            return Task.FromResult<ChatResponse?>(null);
        }

        var hit = CallMetadata.Copy(stored, CallMetadata.FromCache);
        var metadata = CallMetadata.Of(hit);
        metadata.LatencyMs = 0;
        metadata.Retries = 0;
        return Task.FromResult<ChatResponse?>(hit);
    }

    protected override async Task<IReadOnlyList<ChatResponseUpdate>?> ReadCacheStreamingAsync(string key, CancellationToken cancellationToken) =>
        await ReadCacheAsync(key, cancellationToken) is { } hit ? hit.ToChatResponseUpdates() : null;

    protected override Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken)
    {
        Set(key, value);
        return Task.CompletedTask;
    }

    protected override Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken)
    {
        Set(key, value.ToChatResponse());
        return Task.CompletedTask;
    }

    private bool TryGet(string key, out ChatResponse response)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                response = node.Value.Value;
                return true;
            }
        }

        response = null!;
        return false;
    }

    private void Set(string key, ChatResponse response)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
            }
            else if (_entries.Count >= capacity)
            {
                _entries.Remove(_lru.Last!.Value.Key);
                _lru.RemoveLast();
            }

            _entries[key] = _lru.AddFirst((key, response));
        }
    }
}
