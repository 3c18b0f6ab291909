using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Inference.Simulated;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference;

/// <summary>What one attempt returned: the text and the token counts the server reported.</summary>
internal readonly record struct EndpointAnswer(string Text, int PromptTokens, int CachedPromptTokens, int OutputTokens);

/// <summary>
/// One model server as this silo sees it: its client, a gate of <see cref="EndpointAddress.Parallel"/> concurrent calls
/// (callers beyond it queue), and a circuit breaker. Shared by every run on the silo that names the same address.
/// </summary>
internal sealed class InferenceEndpoint : IDisposable
{
    private readonly IChatClient _client;
    private readonly PriorityGate _gate;
    private readonly TimeProvider _time;
    private readonly InferenceOptions _options;
    private readonly Lock _breakerLock = new();
    private int _inFlight;
    private int _queued;
    private int _consecutiveFailures;
    private DateTimeOffset _openUntil = DateTimeOffset.MinValue;
    private bool _trialInFlight;

    public InferenceEndpoint(EndpointAddress address, IChatClient client, TimeProvider time, InferenceOptions options)
    {
        Address = address;
        _client = client;
        Simulated = client.GetService<SimulatedChatClient>();
        _time = time;
        _options = options;
        _gate = new PriorityGate(address.Parallel);
        Hash = Fnv1a.Hash(address.Text);
    }

    public EndpointAddress Address { get; }

    /// <summary>Identity for rendezvous hashing: stable across silos and restarts.</summary>
    public ulong Hash { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Calls on or waiting for this endpoint per slot: below 1 it has free slots.</summary>
    public double Load => (double)(InFlight + Queued) / Address.Parallel;

    public SimulatedChatClient? Simulated { get; }

    /// <summary>Whether a call may go here now: closed, or open long enough that one trial call may test it.</summary>
    public bool Available
    {
        get
        {
            lock (_breakerLock)
            {
                return _consecutiveFailures < _options.BreakerFailures
                    || (_time.GetUtcNow() >= _openUntil && !_trialInFlight);
            }
        }
    }

    public bool CircuitOpen
    {
        get
        {
            lock (_breakerLock)
            {
                return _consecutiveFailures >= _options.BreakerFailures;
            }
        }
    }

    public async Task<EndpointAnswer> CallAsync(LlmRequest request, LlmSpec spec, CancellationToken cancellationToken)
    {
        lock (_breakerLock)
        {
            if (_consecutiveFailures >= _options.BreakerFailures)
            {
                _trialInFlight = true;
            }
        }

        Interlocked.Increment(ref _queued);
        try
        {
            await _gate.WaitAsync(request.Priority, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }

        Interlocked.Increment(ref _inFlight);
        try
        {
            using var timeout = new CancellationTokenSource(spec.EffectiveTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var messages = ToChatMessages(request.Messages);
            var options = ToChatOptions(request);
            ChatResponse response;
            try
            {
                response = Address.Stream
                    ? await _client.GetStreamingResponseAsync(messages, options, linked.Token).ToChatResponseAsync(linked.Token)
                    : await _client.GetResponseAsync(messages, options, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within {spec.EffectiveTimeout.TotalSeconds:0.###} s");
            }

            var usage = response.Usage;
            var text = response.Text ?? string.Empty;
            return new EndpointAnswer(
                text,
                (int)(usage?.InputTokenCount ?? 0),
                (int)(usage?.CachedInputTokenCount ?? 0),
                (int)(usage?.OutputTokenCount ?? 0));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _gate.Release();
        }
    }

    public void Succeeded()
    {
        lock (_breakerLock)
        {
            _consecutiveFailures = 0;
            _trialInFlight = false;
        }
    }

    /// <summary>Counts a failed attempt toward the breaker; a failed trial call re-opens it for another period.</summary>
    public void Failed()
    {
        lock (_breakerLock)
        {
            _consecutiveFailures++;
            _trialInFlight = false;
            if (_consecutiveFailures >= _options.BreakerFailures)
            {
                _openUntil = _time.GetUtcNow() + _options.BreakerOpenTime;
            }
        }
    }

    public void Dispose()
    {
        _client.Dispose();
    }

    private static List<ChatMessage> ToChatMessages(LlmMessage[] messages)
    {
        var list = new List<ChatMessage>(messages.Length);
        foreach (var message in messages)
        {
            var role = message.Role switch
            {
                LlmRole.System => ChatRole.System,
                LlmRole.Assistant => ChatRole.Assistant,
                _ => ChatRole.User,
            };
            list.Add(new ChatMessage(role, message.Text));
        }

        return list;
    }

    private ChatOptions ToChatOptions(LlmRequest request)
    {
        var options = new ChatOptions
        {
            ModelId = Address.Model,
            Temperature = (float)request.Temperature,
            MaxOutputTokens = request.MaxOutputTokens > 0 ? request.MaxOutputTokens : null,
        };
        if (request.JsonSchema is not null)
        {
            using var schema = JsonDocument.Parse(request.JsonSchema);
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement.Clone(), "answer");
        }

        if (Address.Kind == BackendKind.Simulated)
        {
            options.AdditionalProperties = new() { [SimulatedChatClient.RequestProperty] = request };
        }

        BackendFactory.AddBackendOptions(Address, options);
        return options;
    }
}
