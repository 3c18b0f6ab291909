using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// Counts what passes through it into <paramref name="counters"/>: requests, answers with their tokens and latency,
/// failures, retries and cache hits. It counts what it can see from where it stands: around a run's whole pipeline, a
/// call's retries (from its answer or failure) and whether it was served from the cache; around one endpoint, each
/// attempt, and whether it was a retry (<see cref="PoolChatOptions.Attempt"/>). A call that shared another's
/// (<see cref="CallMetadata.Shared"/>) is counted by <see cref="DeduplicatingChatClient"/> as it joins, not here again.
/// </summary>
internal sealed class CountingChatClient(IChatClient inner, LlmCounters counters, TimeProvider time) : PoolChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        counters.Request();
        if (options is PoolChatOptions { Attempt: > 0 })
        {
            counters.Retry();
        }

        var started = time.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (LlmCallFailedException failed)
        {
            if (!failed.Shared)
            {
                counters.Retry(failed.Retries);
                counters.Fail();
            }

            throw;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            counters.Fail();
            throw;
        }

        var metadata = CallMetadata.Find(response);
        switch (metadata?.Served)
        {
            case CallMetadata.FromCache:
                counters.CacheHit();
                break;
            case CallMetadata.Shared:
                break;
            default:
                counters.Retry(metadata?.Retries ?? 0);
                var usage = response.Usage;
                counters.Complete(
                    (int)(usage?.InputTokenCount ?? 0),
                    (int)(usage?.CachedInputTokenCount ?? 0),
                    (int)(usage?.OutputTokenCount ?? 0),
                    time.GetElapsedTime(started).TotalMilliseconds);
                break;
        }

        return response;
    }
}
