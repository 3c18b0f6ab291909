using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// Tries a call up to <c>MaxAttempts</c> times over the endpoints below it, with exponential back-off and jitter
/// (doubled when a server says it is busy), each retry steered away from the endpoint that just failed. A failure that
/// a retry cannot mend (a 404, a refused request) is not retried. The answer carries the retries made and the time
/// since the first attempt; a call that fails for good throws <see cref="LlmCallFailedException"/>, naming why.
/// </summary>
internal sealed partial class RetryingChatClient(IChatClient inner, int maxAttempts, InferenceOptions options, TimeProvider time, ILogger logger, string runId)
    : PoolChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        var error = "no endpoint tried";
        string? lastEndpoint = null;
        var made = 0;
        var attempts = Math.Max(1, maxAttempts);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            // The first attempt goes as asked (no attempt number, nothing to avoid); a retry says which it is and where not to go.
            var attemptOptions = options;
            if (attempt > 0)
            {
                var retry = PoolChatOptions.CopyOf(options);
                retry.Attempt = attempt;
                retry.Avoid = lastEndpoint;
                attemptOptions = retry;
            }

            try
            {
                var response = await base.GetResponseAsync(messages, attemptOptions, cancellationToken);
                var metadata = CallMetadata.Of(response);
                metadata.Retries = attempt;
                metadata.LatencyMs = time.GetElapsedTime(started).TotalMilliseconds;
                return response;
            }
            catch (NoEndpointAvailableException none)
            {
                error = $"{none.Message}; last error: {error}";
                break;
            }
            catch (Exception failed) when (!(failed is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                // Below a router the failure names its endpoint; over a single client it is that client's.
                made++;
                lastEndpoint = failed is EndpointCallException at ? at.Endpoint : lastEndpoint;
                var failure = LlmFailure.Classify(failed);
                error = failure.Message;
                LogAttemptFailed(logger, runId, lastEndpoint ?? "its client", attempt + 1, error);
                if (!failure.Retryable || attempt + 1 >= attempts)
                {
                    break;
                }

                await Task.Delay(Backoff(attempt, failure.Backpressure), time, cancellationToken);
            }
        }

        // Retries actually made: a call that failed for good at once (a 404) was not retried.
        throw new LlmCallFailedException(error, lastEndpoint, Math.Max(0, made - 1), time.GetElapsedTime(started).TotalMilliseconds);
    }

    private TimeSpan Backoff(int attempt, bool backpressure)
    {
        var baseMs = options.BackoffBase.TotalMilliseconds * (backpressure ? 2 : 1) * Math.Pow(2, attempt);
        var jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(options.BackoffMax.TotalMilliseconds, baseMs * jitter));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM call of run {RunId} failed on {Endpoint} (attempt {Attempt}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string runId, string endpoint, int attempt, string error);
}
