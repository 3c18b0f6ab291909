using AgentSwarm.Inference.Simulated;
using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference;

/// <summary>
/// One model server as this silo sees it, shared by every run on the silo that names the same address: its client, the
/// state of its gate of <see cref="EndpointAddress.Parallel"/> concurrent calls (callers beyond it queue) and of its
/// circuit breaker. The work is done by each run's pipeline stages (Pipeline/), which hold this state here.
/// </summary>
internal sealed class InferenceEndpoint : IDisposable
{
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
        Client = client;
        Simulated = client.GetService<SimulatedChatClient>();
        _time = time;
        _options = options;
        _gate = new PriorityGate(address.Parallel);
        Hash = Fnv1a.Hash(address.Text);
    }

    public EndpointAddress Address { get; }

    /// <summary>The server's own client (OllamaSharp, OpenAI, simulated).</summary>
    public IChatClient Client { get; }

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

    /// <summary>A call is about to go here: when the circuit is open, this is the trial call that may close it.</summary>
    public void Entering()
    {
        lock (_breakerLock)
        {
            if (_consecutiveFailures >= _options.BreakerFailures)
            {
                _trialInFlight = true;
            }
        }
    }

    /// <summary>Waits for one of the endpoint's slots (queued meanwhile); <paramref name="priority"/> above 0 goes ahead of first calls.</summary>
    public Task EnterAsync(int priority, CancellationToken cancellationToken)
    {
        var slot = _gate.WaitAsync(priority, cancellationToken);
        if (slot.IsCompletedSuccessfully)
        {
            Interlocked.Increment(ref _inFlight);
            return Task.CompletedTask;
        }

        return QueuedAsync(slot);
    }

    private async Task QueuedAsync(Task slot)
    {
        Interlocked.Increment(ref _queued);
        try
        {
            await slot;
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }

        Interlocked.Increment(ref _inFlight);
    }

    /// <summary>Gives back the slot <see cref="EnterAsync"/> took.</summary>
    public void Leave()
    {
        Interlocked.Decrement(ref _inFlight);
        _gate.Release();
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
        Client.Dispose();
    }
}
