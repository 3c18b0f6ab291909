using Microsoft.Extensions.AI;

namespace AgentSwarm.Inference.Pipeline;

/// <summary>
/// Lets at most <paramref name="capacity"/> of a run's calls past it at once (the run's endpoints' slots, twice over,
/// so every endpoint has its next calls queued when a slot frees); the rest wait here, follow-up calls
/// (<see cref="PoolChatOptions.Priority"/> above 0) ahead of first calls. A hundred thousand agents' calls then wait
/// holding little, rather than a whole pipeline's worth each, and the router picks an endpoint when a call is about to
/// be served, from the load of that moment, rather than when it was asked.
/// </summary>
internal sealed class AdmissionChatClient(IChatClient inner, int capacity) : PoolChatClient(inner)
{
    private readonly PriorityGate _gate = new(Math.Max(1, capacity));

    /// <summary>Calls waiting to be let in.</summary>
    public int Waiting => _gate.Waiting;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync((options as PoolChatOptions)?.Priority ?? 0, cancellationToken);
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }
}
