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
    /// stay out of the spans (they are in the event log).
    /// </summary>
    public IChatClient Create(EndpointAddress address) =>
        Backend(address).AsBuilder().UseOpenTelemetry(sourceName: AgentSwarmTelemetry.Name).Build();

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
