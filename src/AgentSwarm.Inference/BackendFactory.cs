using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Inference.Simulated;
using Microsoft.Extensions.AI;
using OllamaSharp;
using OpenAI;

namespace AgentSwarm.Inference;

/// <summary>Creates the <see cref="IChatClient"/> of an endpoint: OllamaSharp, the OpenAI client, or a simulated server.</summary>
public sealed class BackendFactory(IEnumerable<ISimulatedResponder> responders, TimeProvider time)
{
    private readonly ISimulatedResponder[] _responders = [.. responders];

    /// <summary>
    /// The endpoint's client, wrapped in M.E.AI's OpenTelemetry decorator: a span per call (and the gen_ai.client
    /// metrics) under the AgentSwarm source, with the GenAI semantic conventions' attributes. Prompts and responses
    /// stay out of the spans (they are in the event log). While nobody listens to AgentSwarm's traces or metrics, calls
    /// go straight to the server's client: the decorator costs each call an await and its timing even then.
    /// </summary>
    public IChatClient Create(EndpointAddress address)
    {
        var backend = Backend(address);
        return new TelemetryGateChatClient(backend, backend.AsBuilder().UseOpenTelemetry(sourceName: AgentSwarmTelemetry.Name).Build());
    }

    private IChatClient Backend(EndpointAddress address) => address.Kind switch
    {
        BackendKind.Simulated => new SimulatedChatClient(address.SimulatedOptions(), _responders, time),
        BackendKind.Ollama => new OllamaApiClient(
            new HttpClient { BaseAddress = address.BaseUri, Timeout = Timeout.InfiniteTimeSpan },
            address.Model),
        BackendKind.OpenAi => new OpenAI.Chat.ChatClient(
            address.Model,
            new ApiKeyCredential(address.Options.GetValueOrDefault("api_key", "none")),
            new OpenAIClientOptions
            {
                Endpoint = new Uri(address.BaseUri!.ToString().TrimEnd('/')),
                // The pool retries (with its own backoff, circuit breaker and counters) and times each attempt out itself.
                RetryPolicy = new ClientRetryPolicy(0),
                NetworkTimeout = Timeout.InfiniteTimeSpan,
            }).AsIChatClient(),
        _ => throw new ArgumentOutOfRangeException(nameof(address)),
    };

    /// <summary>
    /// Per-request settings the backend needs beyond <see cref="ChatOptions"/>. Ollama: one num_ctx for the whole run
    /// (a change of num_ctx reloads the model) and keep_alive, so the model stays loaded between rounds.
    /// </summary>
    public static void AddBackendOptions(EndpointAddress address, ChatOptions options)
    {
        if (address.Kind != BackendKind.Ollama)
        {
            return;
        }

        var numCtx = address.Options.TryGetValue("num_ctx", out var numCtxText)
            ? int.Parse(numCtxText, CultureInfo.InvariantCulture)
            : 8192;
        var keepAlive = address.Options.GetValueOrDefault("keep_alive", "30m");
        options.RawRepresentationFactory = _ => new OllamaSharp.Models.Chat.ChatRequest
        {
            KeepAlive = keepAlive,
            Options = new OllamaSharp.Models.RequestOptions { NumCtx = numCtx },
        };
    }
}

/// <summary>Sends each call through <paramref name="observed"/> while someone listens to AgentSwarm's telemetry, else to the server's own client.</summary>
internal sealed class TelemetryGateChatClient(IChatClient backend, IChatClient observed) : DelegatingChatClient(backend)
{
    private static bool Listened => AgentSwarmTelemetry.Source.HasListeners() || AgentSwarmTelemetry.LlmCalls.Enabled;

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Listened ? observed.GetResponseAsync(messages, options, cancellationToken) : base.GetResponseAsync(messages, options, cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Listened ? observed.GetStreamingResponseAsync(messages, options, cancellationToken) : base.GetStreamingResponseAsync(messages, options, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        // The decorator disposes the server's client beneath it.
        if (disposing)
        {
            observed.Dispose();
        }
    }
}
