using System.Diagnostics;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Simulated;

/// <summary>How a simulated server is set up (from <c>simulated=PROFILE?slots=..&amp;clock=..&amp;malformed=..</c>).</summary>
/// <param name="VirtualClock">Run steps back to back and report model time, instead of waiting out each step in real time.</param>
/// <param name="MalformedShare">Share of answers written so that no parser can use them (0..1).</param>
public sealed record SimulatedServerOptions(SimulatedGpuProfile Profile, bool VirtualClock = false, double MalformedShare = 0, ulong Seed = 0);

/// <summary>Options that carry the engine's own request to a <see cref="SimulatedChatClient"/> (the pool's backend stage sends these).</summary>
public sealed class SimulatedChatOptions : ChatOptions
{
    public SimulatedChatOptions()
    {
    }

    private SimulatedChatOptions(SimulatedChatOptions other)
        : base(other)
    {
        Request = other.Request;
    }

    /// <summary>The request the simulated server answers from (its messages, hint and limits).</summary>
    public LlmRequest? Request { get; set; }

    public override ChatOptions Clone() => new SimulatedChatOptions(this);
}

/// <summary>
/// An in-process model of a GPU inference server behind <see cref="IChatClient"/>: requests queue for the GPU's slots,
/// take the prefill and decode time of <see cref="SimulatedGpuProfile"/>, hit or miss its prefix cache, and come back
/// with the text of the scenario's <see cref="ISimulatedResponder"/> (some malformed, if asked). With a real clock a
/// call takes as long as the model says; with a virtual clock steps run back to back and only model time is reported.
/// </summary>
public sealed class SimulatedChatClient : IChatClient
{
    /// <summary>
    /// Key under which a caller other than the pool may pass the original <see cref="LlmRequest"/> (with its hint) in
    /// <see cref="ChatOptions.AdditionalProperties"/>; the pool sends <see cref="SimulatedChatOptions"/>.
    /// </summary>
    public const string RequestProperty = "agentswarm.request";

    private readonly SimulatedServerOptions _options;
    private readonly ISimulatedResponder[] _responders;
    private readonly TimeProvider _time;
    private readonly SimulatedGpu _gpu;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _work = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ChatClientMetadata _metadata;
    private Task? _loop;
    private bool _sleeping;

    // CPU this server spent itself (answering, hashing prompts, stepping the GPU), in nanoseconds.
    private long _cpuNs;

    public SimulatedChatClient(SimulatedServerOptions options, IEnumerable<ISimulatedResponder> responders, TimeProvider? time = null)
    {
        _options = options;
        _responders = [.. responders];
        _time = time ?? TimeProvider.System;
        _gpu = new SimulatedGpu(options.Profile);
        _metadata = new ChatClientMetadata("simulated", new Uri($"simulated://{options.Profile.Name}"), options.Profile.Model);
    }

    public SimulatedGpuProfile Profile => _options.Profile;

    /// <summary>The GPU's counters, read under its lock.</summary>
    public SimulatedGpuSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new SimulatedGpuSnapshot(_gpu.NowMs, _gpu.BusyMs, _gpu.Completed, _gpu.PromptTokens, _gpu.CachedPromptTokens, _gpu.OutputTokens, _gpu.Running, _gpu.Waiting, _gpu.CacheEvictions, _gpu.Steps, Interlocked.Read(ref _cpuNs) / 1e6);
        }
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var cpu = WorkClock.Now();
        var request = options is SimulatedChatOptions { Request: { } typed } ? typed
            : options?.AdditionalProperties?.TryGetValue(RequestProperty, out var value) == true && value is LlmRequest carried ? carried
            : ToRequest(messages, options);
        var chain = PrefixCache.Chain(request.Messages, _options.Profile.BlockTokens * SimulatedGpuProfile.CharsPerToken, out var promptLength);
        var text = Answer(request);
        var maxTokens = options?.MaxOutputTokens ?? request.MaxOutputTokens;
        var truncated = false;
        if (maxTokens > 0 && text.Length > maxTokens * SimulatedGpuProfile.CharsPerToken)
        {
            text = text[..(maxTokens * SimulatedGpuProfile.CharsPerToken)];
            truncated = true;
        }

        var promptTokens = Tokens(promptLength);
        var outputTokens = Math.Max(1, Tokens(text));
        var done = new TaskCompletionSource<SimulatedSequence>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sequence = new SimulatedSequence(promptTokens, chain, outputTokens, done);
        Submit(sequence);
        Interlocked.Add(ref _cpuNs, WorkClock.Since(cpu));
        var finished = await done.Task.WaitAsync(cancellationToken);
        cpu = WorkClock.Now();
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = _options.Profile.Model,
            FinishReason = truncated ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = promptTokens,
                OutputTokenCount = outputTokens,
                TotalTokenCount = promptTokens + outputTokens,
                CachedInputTokenCount = finished.CachedTokens,
            },
        };
        Interlocked.Add(ref _cpuNs, WorkClock.Since(cpu));
        return response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
        _stop.Cancel();
        _work.Release();
    }

    public static int Tokens(string text) => Tokens(text.Length);

    /// <summary>Tokens of a text of <paramref name="characters"/> characters.</summary>
    public static int Tokens(int characters) => (characters + SimulatedGpuProfile.CharsPerToken - 1) / SimulatedGpuProfile.CharsPerToken;

    /// <summary>The prompt as the server's chat template would lay it out, which is what its prefix cache sees.</summary>
    public static string Render(LlmMessage[] messages)
    {
        var builder = new System.Text.StringBuilder();
        foreach (var message in messages)
        {
            builder.Append('<').Append(RoleName(message.Role)).Append('>');
            builder.Append(message.Text).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>A role as the chat template writes it.</summary>
    public static string RoleName(LlmRole role) => role switch { LlmRole.System => "system", LlmRole.User => "user", _ => "assistant" };

    private static LlmRequest ToRequest(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        new([.. messages.Select(m => new LlmMessage(
                m.Role == ChatRole.System ? LlmRole.System : m.Role == ChatRole.Assistant ? LlmRole.Assistant : LlmRole.User,
                m.Text))],
            options?.Temperature ?? 0,
            options?.MaxOutputTokens ?? 256);

    private string Answer(LlmRequest request)
    {
        var hint = request.Hint;
        var textHash = Fnv1a.Offset;
        foreach (var message in request.Messages)
        {
            textHash = Fnv1a.Hash(message.Text, textHash);
        }

        // Greedy decoding (temperature 0) answers a prompt the same way whoever asks, as a real server would; sampling
        // draws from the asking agent's own stream, so answers are reproducible but differ between agents.
        var random = hint is null || request.Temperature == 0
            ? AgentRandom.For(_options.Seed ^ textHash, 0, 0)
            : AgentRandom.For(_options.Seed, hint.Agent, hint.Round, (int)(textHash & 0x7fff_ffff));
        if (_options.MalformedShare > 0 && random.NextDouble() < _options.MalformedShare)
        {
            return request.JsonSchema is not null ? "{\"answer\": " : "Hmm, that is a hard one. Let me think about it some more.";
        }

        if (hint is not null)
        {
            foreach (var responder in _responders)
            {
                if (hint.Task.StartsWith(responder.TaskPrefix, StringComparison.Ordinal))
                {
                    return responder.Respond(request, ref random);
                }
            }
        }

        return request.JsonSchema is not null ? "{}" : "I understand.";
    }

    private void Submit(SimulatedSequence sequence)
    {
        var wake = false;
        lock (_lock)
        {
            _gpu.Enqueue(sequence);
            _loop ??= Task.Run(RunAsync);
            if (_sleeping)
            {
                _sleeping = false;
                wake = true;
            }
        }

        if (wake)
        {
            _work.Release();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await StepUntilStoppedAsync();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task StepUntilStoppedAsync()
    {
        var started = _time.GetTimestamp();
        var token = _stop.Token;
        double deadlineMs = 0;
        while (!token.IsCancellationRequested)
        {
            bool idle;
            lock (_lock)
            {
                idle = _gpu.Idle;
                if (idle)
                {
                    _sleeping = true;
                }
            }

            if (idle)
            {
                await _work.WaitAsync(token);
                if (!_options.VirtualClock)
                {
                    // A real clock kept running while the GPU sat idle: steps are due from now on.
                    deadlineMs = _time.GetElapsedTime(started).TotalMilliseconds;
                    lock (_lock)
                    {
                        _gpu.IdleUntil(deadlineMs);
                    }
                }

                continue;
            }

            if (_options.VirtualClock)
            {
                // Give agents whose calls are on their way a chance to join this step, as they would in real time.
                for (var spin = 0; spin < 4 && NotFull(); spin++)
                {
                    await Task.Yield();
                }
            }

            var cpu = WorkClock.Now();
            SimulatedStep step;
            lock (_lock)
            {
                step = _gpu.Step();
            }

            Interlocked.Add(ref _cpuNs, WorkClock.Since(cpu));

            if (!_options.VirtualClock)
            {
                // Steps are timed against absolute deadlines, so a late timer is made up by the next step, not lost.
                deadlineMs += step.Milliseconds;
                var wait = deadlineMs - _time.GetElapsedTime(started).TotalMilliseconds;
                if (wait > 0.5)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), _time, token);
                }
            }

            cpu = WorkClock.Now();
            foreach (var finished in step.Finished)
            {
                ((TaskCompletionSource<SimulatedSequence>)finished.State!).TrySetResult(finished);
            }

            Interlocked.Add(ref _cpuNs, WorkClock.Since(cpu));
        }
    }

    private bool NotFull()
    {
        lock (_lock)
        {
            return _gpu.Running + _gpu.Waiting < _options.Profile.Slots;
        }
    }
}

/// <summary>A simulated GPU's counters; times in model milliseconds, except <see cref="CpuMs"/>.</summary>
/// <param name="CpuMs">Time the simulated server spent in its own work (see <see cref="WorkClock"/>), standing for its CPU.</param>
public readonly record struct SimulatedGpuSnapshot(
    double NowMs,
    double BusyMs,
    long Completed,
    long PromptTokens,
    long CachedPromptTokens,
    long OutputTokens,
    int Running,
    int Waiting,
    long CacheEvictions,
    long Steps,
    double CpuMs = 0);
