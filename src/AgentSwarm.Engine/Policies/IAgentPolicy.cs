using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Engine.Policies;

/// <summary>How an agent turns what it sees into a decision. The LLM policy plugs in here.</summary>
public interface IAgentPolicy
{
    string Name { get; }

    /// <summary>Agents in flight across the whole run when the policy spec leaves concurrency at 0.</summary>
    int DefaultRunConcurrency { get; }

    /// <summary>Agents in flight across the whole run when they are packed in their partitions (no grain call each).</summary>
    int PackedRunConcurrency => DefaultRunConcurrency;

    /// <summary>Agents in flight across the whole run when the policy spec leaves concurrency at 0, for the run's own settings.</summary>
    int RunConcurrency(PolicySpec spec, bool packed) => packed ? PackedRunConcurrency : DefaultRunConcurrency;

    /// <summary>How a run with this policy hosts its agents when the run leaves it to the engine (see the README for why).</summary>
    AgentHosting DefaultHosting => AgentHosting.Packed;

    ValueTask<AgentDecision> DecideAsync(IAgentMind mind, AgentTurn turn, CancellationToken cancellationToken);
}

/// <summary>
/// A policy whose decision is a wait and then an answer that needs no I/O (dummy-latency). A packed partition that may
/// run all its agents at once waits for them in the shared timer slots of <see cref="WaitAsync"/> and answers each
/// slot's agents together when it ends, with nothing allocated per agent; as grains, and under a concurrency bound,
/// <see cref="IAgentPolicy.DecideAsync"/> does the same one agent at a time.
/// </summary>
public interface IWaitThenDecidePolicy
{
    /// <summary>How long the agent waits before it answers.</summary>
    TimeSpan Wait(AgentTurn turn);

    /// <summary>
    /// Ends at least <paramref name="wait"/> from now. Waits that end in the same millisecond return the same task
    /// (<see cref="CoalescedDelays"/>), so a caller may group its agents by it.
    /// </summary>
    Task WaitAsync(TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>The answer once the wait is over.</summary>
    AgentDecision Decide(IAgentMind mind, AgentTurn turn);
}

/// <summary>The scenario's own rule-based behaviour.</summary>
public sealed class HeuristicPolicy : IAgentPolicy
{
    public string Name => Abstractions.PolicyNames.Heuristic;

    public int DefaultRunConcurrency => 4096;

    public ValueTask<AgentDecision> DecideAsync(IAgentMind mind, AgentTurn turn, CancellationToken cancellationToken) =>
        ValueTask.FromResult(mind.Heuristic(turn));
}

/// <summary>A uniformly random valid action every round.</summary>
public sealed class RandomPolicy : IAgentPolicy
{
    public string Name => Abstractions.PolicyNames.Random;

    public int DefaultRunConcurrency => 4096;

    public ValueTask<AgentDecision> DecideAsync(IAgentMind mind, AgentTurn turn, CancellationToken cancellationToken) =>
        ValueTask.FromResult(mind.Random(turn));
}

/// <summary>
/// AgentScope's framework-overhead workload: wait a fixed latency (standing in for an LLM call), then
/// answer at random. Many agents wait at once, as they would on a real inference server.
/// </summary>
public sealed class DummyLatencyPolicy(TimeProvider time) : IAgentPolicy, IWaitThenDecidePolicy
{
    // Agents that start waiting in the same millisecond share a timer (a million waits, a thousand timers).
    private readonly CoalescedDelays _delays = new(time);

    public string Name => Abstractions.PolicyNames.DummyLatency;

    public int DefaultRunConcurrency => 100_000;

    /// <summary>Every agent waits at once: a packed agent's wait is a place in a shared timer slot, not a grain call held open.</summary>
    public int PackedRunConcurrency => Abstractions.RunSpec.MaxAgents;

    public async ValueTask<AgentDecision> DecideAsync(IAgentMind mind, AgentTurn turn, CancellationToken cancellationToken)
    {
        await WaitAsync(Wait(turn), cancellationToken);
        return Decide(mind, turn);
    }

    public TimeSpan Wait(AgentTurn turn) => turn.Context.Policy.Latency;

    public Task WaitAsync(TimeSpan wait, CancellationToken cancellationToken) => _delays.Delay(wait, cancellationToken);

    public AgentDecision Decide(IAgentMind mind, AgentTurn turn) => mind.Random(turn);
}

/// <summary>The policies registered in this silo, by name.</summary>
public sealed class PolicyCatalog(IEnumerable<IAgentPolicy> policies)
    : NamedCatalog<IAgentPolicy>(policies, p => p.Name, "policy");
