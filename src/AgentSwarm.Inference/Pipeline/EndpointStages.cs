using AgentSwarm.Abstractions;
using AgentSwarm.Inference.Simulated;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// One endpoint's admission, around the server's own client: its circuit breaker (after repeated failures that are
/// the endpoint's fault the circuit opens and the router sends nothing there until one trial call may test it; busy
/// servers and refused requests do not count against it), its <see cref="EndpointAddress.Parallel"/> slots shared by
/// every run on the silo (callers beyond them queue, follow-up calls, <see cref="PoolChatOptions.Priority"/> above 0,
/// ahead of first calls), and the run's deadline for an answer once a call has its slot (a
/// <see cref="TimeoutException"/> past it). These share one stage because they share one moment, the call's time
/// at the server, and every stage costs each call an await (held through its whole wait for a slot). The answer names
/// the endpoint (<see cref="CallMetadata.Endpoint"/>); a failure comes up as <see cref="EndpointCallException"/>.
/// </summary>
internal sealed class EndpointChatClient(IChatClient inner, InferenceEndpoint endpoint, TimeSpan timeout, TimeProvider time) : PoolChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        endpoint.Entering();
        try
        {
            await endpoint.EnterAsync((options as PoolChatOptions)?.Priority ?? 0, cancellationToken);
            ChatResponse response;
            try
            {
                using var deadline = new CancellationTokenSource(timeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                try
                {
                    response = await base.GetResponseAsync(messages, options, linked.Token);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer within {timeout.TotalSeconds:0.###} s");
                }
            }
            finally
            {
                endpoint.Leave();
            }

            endpoint.Succeeded();
            CallMetadata.Of(response).Endpoint = endpoint.Address.Text;
            return response;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            if (LlmFailure.Classify(ex).CountsAgainstEndpoint)
            {
                endpoint.Failed();
            }

            throw new EndpointCallException(endpoint.Address.Text, ex);
        }
    }
}

/// <summary>
/// The last stage: the server's own client (OllamaSharp, OpenAI, simulated). It sends only what the server should see:
/// the endpoint's model, the call's sampling options and schema, the backend's own settings, and, for the simulated
/// backend, the pool's request; the pipeline's metadata stays behind. Streams when the address says so.
/// </summary>
internal sealed class BackendChatClient(IChatClient backend, EndpointAddress address) : DelegatingChatClient(backend)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var wire = Wire(options);
        return address.Stream
            ? base.GetStreamingResponseAsync(messages, wire, cancellationToken).ToChatResponseAsync(cancellationToken)
            : base.GetResponseAsync(messages, wire, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, Wire(options), cancellationToken);

    protected override void Dispose(bool disposing)
    {
        // The server's client belongs to its InferenceEndpoint, shared by every run's pipeline; the pool disposes it.
    }

    private ChatOptions Wire(ChatOptions? options)
    {
        // The simulated server answers from the pool's own request (with its hint), carried in its own options type.
        var wire = address.Kind == BackendKind.Simulated && (options as PoolChatOptions)?.Request is { } request
            ? new SimulatedChatOptions { Request = request }
            : new ChatOptions();
        wire.ModelId = address.Model;
        wire.Temperature = options?.Temperature;
        wire.MaxOutputTokens = options?.MaxOutputTokens;
        wire.ResponseFormat = options?.ResponseFormat;

        BackendFactory.AddBackendOptions(address, wire);
        return wire;
    }
}
