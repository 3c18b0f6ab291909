using Orleans.Concurrency;

namespace AgentSwarm.Abstractions;

/// <summary>The scenario controller of one run, keyed by run id.</summary>
public interface ISimulationGrain : IGrainWithStringKey
{
    /// <summary>Builds the population and starts the rounds; returns once the run is under way.</summary>
    Task StartAsync(RunSpec spec);

    Task<SimulationStatus> GetStatusAsync();

    /// <summary>Rounds finished so far, starting with round <paramref name="fromRound"/> (1-based).</summary>
    Task<RoundResult[]> GetRoundsAsync(int fromRound);

    /// <summary>Stops the run, mid-round if need be; finished rounds are kept.</summary>
    Task CancelAsync();
}

/// <summary>Owns a contiguous range of agents and their mailboxes. Key: partition index + run id.</summary>
public interface IPartitionGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Takes its agents and edges and creates (activates) every agent, so the first round pays no set-up.</summary>
    [ResponseTimeout("1.00:00:00")]
    Task InitializeAsync(PartitionSetup setup, CancellationToken cancellationToken = default);

    /// <summary>Steps every agent of the partition once and returns the reduction of their actions.</summary>
    /// <remarks>A step waits on every agent, and agents may wait on an LLM: far past Orleans' 30 s default.</remarks>
    [ResponseTimeout("1.00:00:00")]
    Task<PartitionStepResult> StepAsync(RoundContext context, CancellationToken cancellationToken = default);

    /// <summary>Mail for the next round from another partition. Interleaves with a running step, which awaits these calls.</summary>
    [AlwaysInterleave]
    Task DeliverAsync(int round, MessageBatch batch);

    /// <summary>Agents stepped so far in the round under way (or created so far, during set-up).</summary>
    [AlwaysInterleave]
    Task<int> GetProgressAsync();
}

/// <summary>One agent of a run. Key: agent index + run id.</summary>
public interface IAgentGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Creates the agent's mind (profile from seed and index, empty memory) and takes its edges.</summary>
    Task InitializeAsync(RoundContext context, int[] neighbours);

    /// <summary>One turn. May wait on an LLM, so it gets a long timeout; cancellation stops it.</summary>
    [ResponseTimeout("01:00:00")]
    Task<AgentStepResult> StepAsync(AgentStep step, CancellationToken cancellationToken = default);

    Task<AgentSnapshot> GetSnapshotAsync();
}

/// <summary>Everything a partition needs to run its agents.</summary>
/// <param name="Offsets">CSR offsets of the partition's agents' edges, relative to <see cref="Targets"/>; length = agents + 1.</param>
/// <param name="Targets">Neighbour indices (global) of the partition's agents.</param>
/// <param name="Bounds">First agent index of every partition, plus the agent count last: the post office's address book.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.partition-setup")]
public sealed record PartitionSetup(
    string RunId,
    int Index,
    RunSpec Spec,
    int[] Bounds,
    int[] Offsets,
    int[] Targets);

/// <summary>A partition's share of a round: the scenario's partial aggregate plus the post office's counters.</summary>
/// <param name="Agents">Agents actually stepped (idle agents without mail are skipped).</param>
/// <param name="Delivered">Messages its agents sent that were accepted for delivery.</param>
/// <param name="Dropped">Messages its agents addressed to an agent that is not their neighbour.</param>
/// <param name="StateHash">The sum of its agents' state hashes this round (see the engine's StateHash); 0 when not asked for.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.partition-step-result")]
public sealed record PartitionStepResult(RoundPartial Partial, int Agents, long Delivered, long Dropped, ulong StateHash = 0);

public enum SimulationState
{
    Pending,
    Running,
    Completed,
    Cancelled,
    Failed,
}

/// <summary>Where a run stands.</summary>
/// <param name="RoundsCompleted">Rounds finished. A completed run may have finished fewer than <see cref="Rounds"/> when its scenario ended it early.</param>
/// <param name="CurrentRound">The round under way (0 during set-up, and after the last).</param>
/// <param name="CurrentRoundAgentsDone">Agents stepped so far in the round under way; during set-up, agents created so far.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.simulation-status")]
public sealed record SimulationStatus(
    string RunId,
    SimulationState State,
    int Agents,
    int Rounds,
    int Partitions,
    int RoundsCompleted,
    int CurrentRound,
    long CurrentRoundAgentsDone,
    TimeSpan Elapsed,
    TimeSpan SetupTime,
    RoundResult? LastRound,
    string? Error);

/// <summary>A view of one agent for inspection, result files and tests.</summary>
/// <param name="Transcript">An LLM agent's whole conversation (system prompt, every prompt and reply), or null.</param>
/// <param name="Counters">The mind's own per-agent counters (AgentsNet: fallbacks, failed parses), or null.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.agent-snapshot")]
public sealed record AgentSnapshot(
    int Index,
    int[] Neighbours,
    int LastRound,
    string[] Memory,
    LlmMessage[]? Transcript = null,
    Dictionary<string, int>? Counters = null);
