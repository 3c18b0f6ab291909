using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// Identical deterministic (temperature 0) calls in flight at once become one call: the first caller's goes to the
/// server, the others wait for its answer (marked <see cref="CallMetadata.Shared"/>). Each caller may give up on its
/// own; the call itself is cancelled only when every caller sharing it has, and a newcomer then starts a fresh one.
/// <paramref name="joined"/> hears of each caller that joins a call in flight as it joins (a live view counts them then).
/// </summary>
internal sealed class DeduplicatingChatClient(IChatClient inner, Action? joined = null) : PoolChatClient(inner)
{
    private readonly Dictionary<UInt128, SharedCall> _inFlight = [];

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        ChatKey.Deterministic(options) ? SharedAsync(messages, options, cancellationToken) : base.GetResponseAsync(messages, options, cancellationToken);

    private async Task<ChatResponse> SharedAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var key = ChatKey.Of(messages, options);
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
            _ = CallAsync(key, call, messages, options);
        }
        else
        {
            joined?.Invoke();
        }

        try
        {
            var response = await call.Result.Task.WaitAsync(cancellationToken);
            return first ? response : CallMetadata.Copy(response, CallMetadata.Shared);
        }
        catch (LlmCallFailedException failed) when (!first)
        {
            throw failed.AsShared();
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

            throw;
        }
    }

    private async Task CallAsync(UInt128 key, SharedCall call, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        try
        {
            call.Result.TrySetResult(await base.GetResponseAsync(messages, options, call.Stop.Token));
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
        public TaskCompletionSource<ChatResponse> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Cancels the call, once every caller has given up on it.</summary>
        public CancellationTokenSource Stop { get; } = new();

        /// <summary>Callers waiting for it; guarded by the in-flight table.</summary>
        public int Waiters { get; set; }

        /// <summary>Every caller gave up: the call is being cancelled, so a newcomer must not join it.</summary>
        public bool Abandoned { get; set; }
    }
}
