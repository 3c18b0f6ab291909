using System.ClientModel;
using System.Text.Json;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>A failed attempt, sorted: what to tell the user, whether to retry, and whether it is the endpoint's fault.</summary>
internal readonly record struct LlmFailure(string Message, bool Retryable, bool Backpressure, bool CountsAgainstEndpoint)
{
    public static LlmFailure Classify(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException timeout:
                    return new LlmFailure($"timed out: {timeout.Message}", true, false, true);
                case HttpRequestException http when http.StatusCode is { } status:
                    return ByStatus((int)status, http.Message);
                case ClientResultException client when client.Status != 0:
                    return ByStatus(client.Status, client.Message);
                case JsonException json:
                    return new LlmFailure($"malformed response: {json.Message}", true, false, true);
                case HttpRequestException http:
                    return new LlmFailure($"connection failed: {http.Message}", true, false, true);
                case IOException io:
                    return new LlmFailure($"connection failed: {io.Message}", true, false, true);
                case EndpointCallException:
                    continue;
            }
        }

        var root = exception is EndpointCallException { InnerException: { } cause } ? cause : exception;
        return new LlmFailure($"{root.GetType().Name}: {root.Message}", true, false, true);

        static LlmFailure ByStatus(int status, string message) => status switch
        {
            503 or 429 => new LlmFailure($"server busy (HTTP {status}): {message}", true, true, false),
            >= 500 => new LlmFailure($"server error (HTTP {status}): {message}", true, false, true),
            _ => new LlmFailure($"request refused (HTTP {status}): {message}", false, false, false),
        };
    }
}
