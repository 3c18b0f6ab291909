using AgentSwarm.Abstractions;
namespace AgentSwarm.Inference.Simulated;

/// <summary>One sequence on a simulated GPU: its prompt blocks, how many tokens it must generate, and who waits for it.</summary>
internal sealed class SimulatedSequence(int promptTokens, ulong[] blocks, int outputTokens, object? state)
{
    public int PromptTokens { get; } = promptTokens;

    public ulong[] Blocks { get; } = blocks;

    public int OutputTokens { get; } = Math.Max(1, outputTokens);

    public object? State { get; } = state;

    public int Generated { get; set; }

    public int CachedTokens { get; set; }

    public double EnqueuedAt { get; set; }

    public double FinishedAt { get; set; }
}

/// <summary>What one step did: how long it took in model time, and which sequences it finished.</summary>
internal readonly record struct SimulatedStep(double Milliseconds, List<SimulatedSequence> Finished, int Running);

/// <summary>
/// The scheduler of a simulated GPU, in model time and with no clock of its own: waiting sequences are admitted
/// first-come first-served into free slots, each step decodes one token of every running sequence, and admitted
/// prompts pay prefill for the tokens the prefix cache does not hold. Deterministic; not thread-safe.
/// </summary>
internal sealed class SimulatedGpu(SimulatedGpuProfile profile)
{
    private readonly Queue<SimulatedSequence> _waiting = new();
    private readonly List<SimulatedSequence> _running = new(profile.Slots);
    private readonly PrefixCache _cache = new(profile.CacheBlocks);

    public SimulatedGpuProfile Profile => profile;

    /// <summary>Model time so far, in milliseconds.</summary>
    public double NowMs { get; private set; }

    /// <summary>Model time spent in steps (busy), in milliseconds.</summary>
    public double BusyMs { get; private set; }

    public int Waiting => _waiting.Count;

    public int Running => _running.Count;

    public bool Idle => _waiting.Count == 0 && _running.Count == 0;

    public long PromptTokens { get; private set; }

    public long CachedPromptTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public long Completed { get; private set; }

    /// <summary>Decode steps run; OutputTokens / Steps is the mean batch.</summary>
    public long Steps { get; private set; }

    public long CacheEvictions => _cache.Evictions;

    public void Enqueue(SimulatedSequence sequence)
    {
        sequence.EnqueuedAt = NowMs;
        _waiting.Enqueue(sequence);
    }

    /// <summary>Moves model time forward to <paramref name="nowMs"/> while idle (real clocks pass while nobody asks).</summary>
    public void IdleUntil(double nowMs) => NowMs = Math.Max(NowMs, nowMs);

    public SimulatedStep Step()
    {
        double prefillTokens = 0;
        while (_running.Count < profile.Slots && _waiting.TryDequeue(out var sequence))
        {
            var hits = _cache.LookupAndInsert(sequence.Blocks);
            sequence.CachedTokens = Math.Min(sequence.PromptTokens, hits * profile.BlockTokens);
            prefillTokens += sequence.PromptTokens - sequence.CachedTokens;
            PromptTokens += sequence.PromptTokens;
            CachedPromptTokens += sequence.CachedTokens;
            _running.Add(sequence);
        }

        var running = _running.Count;
        if (running == 0)
        {
            return new SimulatedStep(0, [], 0);
        }

        var milliseconds = profile.StepMs(running) + (prefillTokens * profile.PrefillMsPerToken);
        NowMs += milliseconds;
        BusyMs += milliseconds;
        AgentSwarmTelemetry.GpuBusy.Add(milliseconds / 1000);
        Steps++;
        OutputTokens += running;

        var finished = new List<SimulatedSequence>();
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            var sequence = _running[i];
            sequence.Generated++;
            if (sequence.Generated >= sequence.OutputTokens)
            {
                sequence.FinishedAt = NowMs;
                finished.Add(sequence);
                _running.RemoveAt(i);
            }
        }

        Completed += finished.Count;
        finished.Reverse();
        return new SimulatedStep(milliseconds, finished, running);
    }
}
