using Orleans.Concurrency;

namespace AgentSwarm.Abstractions;

/// <summary>The scenario controller of one run, keyed by run id. Its run record is durable: it outlives its silo.</summary>
[Alias("agentswarm.simulation")]
public interface ISimulationGrain : IGrainWithStringKey
{
    /// <summary>Builds the population and starts the rounds; returns once the run is under way.</summary>
    [Alias("start")]
    Task StartAsync(RunSpec spec);

    [Alias("status")]
    Task<SimulationStatus> GetStatusAsync();

    /// <summary>The run's spec (with its log folder), where its partitions are, how it survived lost silos; null if it never started.</summary>
    [Alias("info")]
    Task<RunInfo?> GetInfoAsync();

    /// <summary>Rounds finished so far, starting with round <paramref name="fromRound"/> (1-based).</summary>
    [Alias("rounds")]
    Task<RoundResult[]> GetRoundsAsync(int fromRound);

    /// <summary>Stops the run, mid-round if need be; finished rounds are kept.</summary>
    [Alias("cancel")]
    Task CancelAsync();

    /// <summary>
    /// A finished run's agents and partitions deactivate (they would after the engine's ReleaseAfter anyway): call it
    /// once done reading agents' snapshots. Nothing happens to a run still going.
    /// </summary>
    [Alias("release")]
    Task ReleaseAsync();

    /// <summary>Wakes the controller (a watchdog calls it): a run whose controller was lost picks up from its durable record.</summary>
    [Alias("ensure-running")]
    Task<SimulationState> EnsureRunningAsync();
}

/// <summary>Owns a contiguous range of agents and their mailboxes. Key: partition index + run id.</summary>
[Alias("agentswarm.partition")]
public interface IPartitionGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Takes its agents and edges and creates (activates) every agent, so the first round pays no set-up. Returns its silo.</summary>
    [ResponseTimeout("1.00:00:00")]
    [Alias("initialize")]
    Task<string> InitializeAsync(PartitionSetup setup, CancellationToken cancellationToken = default);

    /// <summary>Steps every agent of the partition once and returns the reduction of their actions.</summary>
    /// <remarks>A step waits on every agent, and agents may wait on an LLM: far past Orleans' 30 s default.</remarks>
    [ResponseTimeout("1.00:00:00")]
    [Alias("step")]
    Task<PartitionStepResult> StepAsync(RoundContext context, CancellationToken cancellationToken = default);

    /// <summary>Mail for the next round from another partition. Interleaves with a running step, which awaits these calls.</summary>
    /// <param name="epoch">The run's epoch (see <see cref="RoundContext.Epoch"/>): mail of an abandoned attempt is dropped.</param>
    /// <param name="batch">Views of the sender's buffers: the receiver copies the mail before it returns, and the sender reuses them after.</param>
    [AlwaysInterleave]
    [Alias("deliver")]
    Task DeliverAsync(int epoch, int round, MessageBatch batch);

    /// <summary>Agents stepped so far in the round under way (or created so far, during set-up).</summary>
    [AlwaysInterleave]
    [Alias("progress")]
    Task<int> GetProgressAsync();

    /// <summary>
    /// Rolls the partition back to its checkpoint of round <paramref name="round"/> (0: to the start) after a silo was
    /// lost: agents get their saved minds back, the log's partition stream is cut back to <paramref name="logRound"/>,
    /// and mail of later rounds is dropped. Returns its silo.
    /// </summary>
    [ResponseTimeout("1.00:00:00")]
    [Alias("restore")]
    Task<string> RestoreAsync(PartitionSetup setup, int round, int epoch, int logRound, CancellationToken cancellationToken = default);

    /// <summary>After every partition restored: sends again the mail its agents sent in the checkpoint's round.</summary>
    [Alias("redeliver")]
    Task RedeliverAsync(int epoch);

    /// <summary>The run is over: deactivates the partition's agents, then the partition itself.</summary>
    [ResponseTimeout("01:00:00")]
    [Alias("release")]
    Task ReleaseAsync();

    /// <summary>
    /// The run has ended (the controller calls this before it writes the log's end): closes the partition's log stream
    /// on its silo, so a long-lived silo keeps no file of a finished run open, and nothing holds the log when a console
    /// resumes or deletes the run.
    /// </summary>
    [Alias("end-log")]
    Task EndLogAsync();

    /// <summary>
    /// One of its agents as inspection sees it, in a packed run (where minds live in the partition; an agent grain
    /// forwards here). Interleaves with a running step, so a live run can be inspected mid-round.
    /// </summary>
    [AlwaysInterleave]
    [Alias("agent-snapshot")]
    Task<AgentSnapshot> GetAgentSnapshotAsync(int agent);
}

/// <summary>
/// One agent of a run. Key: agent index + run id. In a grain-hosted run the agent lives here; in a packed run its
/// partition holds it and this grain, activated only when someone addresses the agent, answers from there.
/// </summary>
[Alias("agentswarm.agent")]
public interface IAgentGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Creates the agent's mind (profile from seed and index, empty memory) and takes its edges.</summary>
    [Alias("initialize")]
    Task InitializeAsync(RoundContext context, int[] neighbours);

    /// <summary>One turn. May wait on an LLM, so it gets a long timeout; cancellation stops it.</summary>
    [ResponseTimeout("01:00:00")]
    [Alias("step")]
    Task<AgentStepResult> StepAsync(AgentStep step, CancellationToken cancellationToken = default);

    [Alias("snapshot")]
    Task<AgentSnapshot> GetSnapshotAsync();

    /// <summary>Rebuilds the mind from seed and index, then takes back its saved state (null: a fresh mind) as of round <paramref name="lastRound"/>.</summary>
    [Alias("restore")]
    Task RestoreAsync(RoundContext context, int[] neighbours, byte[]? state, int lastRound);

    /// <summary>The run is over: the agent deactivates.</summary>
    [Alias("release")]
    Task ReleaseAsync();
}

/// <summary>The cluster's list of runs (one grain, key <see cref="Key"/>): what `agentswarm runs` shows and what watchdogs keep alive.</summary>
[Alias("agentswarm.run-registry")]
public interface IRunRegistryGrain : IGrainWithStringKey
{
    public const string Key = "runs";

    [Alias("update")]
    Task UpdateAsync(RunEntry entry);

    [Alias("list")]
    Task<RunEntry[]> ListAsync();

    /// <summary>Runs not yet completed, cancelled or failed.</summary>
    [Alias("active")]
    Task<string[]> ActiveAsync();
}

/// <summary>One run as the registry lists it.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.run-entry")]
public sealed record RunEntry(string RunId, string Scenario, int Agents, int Rounds, SimulationState State, DateTime CreatedUtc, DateTime UpdatedUtc);

/// <summary>Everything a partition needs to run its agents.</summary>
/// <param name="Offsets">CSR offsets of the partition's agents' edges, relative to <see cref="Targets"/>; length = agents + 1.</param>
/// <param name="Targets">Neighbour indices (global) of the partition's agents.</param>
/// <param name="Bounds">First agent index of every partition, plus the agent count last: the post office's address book.</param>
/// <param name="CheckpointEvery">Save the partition's agents' minds every this many rounds (0: never).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.partition-setup")]
public sealed record PartitionSetup(
    string RunId,
    int Index,
    RunSpec Spec,
    int[] Bounds,
    int[] Offsets,
    int[] Targets,
    int CheckpointEvery = 0);

/// <summary>A partition's share of a round: the scenario's partial aggregate plus the post office's counters.</summary>
/// <param name="Agents">Agents actually stepped (idle agents without mail are skipped).</param>
/// <param name="Delivered">Messages its agents sent that were accepted for delivery.</param>
/// <param name="Dropped">Messages its agents addressed to an agent that is not their neighbour.</param>
/// <param name="StateHash">The sum of its agents' state hashes this round (see the engine's StateHash); 0 when not asked for.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.partition-step-result")]
public sealed record PartitionStepResult(RoundPartial Partial, int Agents, long Delivered, long Dropped, ulong StateHash = 0);

/// <summary>A partition's saved state after a round: one grain-storage write per partition, not one per agent.</summary>
/// <param name="Minds">Every agent's mind as its <c>Save</c> wrote it, back to back; <see cref="MindOffsets"/> has agents + 1 entries.</param>
/// <param name="Idle">Agents idle until mail arrives, and (<see cref="IdleNumbers"/>, <see cref="IdleTexts"/>) the action each keeps meanwhile.</param>
/// <param name="Sent">The mail its agents sent in <see cref="Round"/>, for the next round: sent again on restore.</param>
[GenerateSerializer, Alias("agentswarm.partition-checkpoint")]
public sealed class PartitionCheckpoint
{
    [Id(0)] public int Round { get; set; }

    [Id(1)] public byte[] Minds { get; set; } = [];

    [Id(2)] public int[] MindOffsets { get; set; } = [];

    [Id(3)] public bool[] Idle { get; set; } = [];

    [Id(4)] public double[] IdleNumbers { get; set; } = [];

    [Id(5)] public string?[] IdleTexts { get; set; } = [];

    [Id(6)] public MessageBatch? Sent { get; set; }
}

/// <summary>The controller's durable record: with <see cref="RunSpecRecord"/>, enough to pick the run up on another silo.</summary>
[GenerateSerializer, Alias("agentswarm.run-record")]
public sealed class RunRecord
{
    /// <summary>
    /// The run's spec. Not stored with the record, which is written every round: it is kept in a
    /// <see cref="RunSpecRecord"/> of its own, written once (a 1M-node AgentsNet spec holds a million names).
    /// </summary>
    [field: NonSerialized]
    public RunSpec? Spec { get; set; }

    [Id(1)] public SimulationState State { get; set; }

    [Id(2)] public List<RoundResult> Rounds { get; set; } = [];

    /// <summary>The last round every partition has a checkpoint of (0: none yet).</summary>
    [Id(3)] public int CheckpointRound { get; set; }

    /// <summary>Bumped by every recovery, so mail of an abandoned attempt is told apart.</summary>
    [Id(4)] public int Epoch { get; set; }

    [Id(5)] public string? Error { get; set; }

    [Id(6)] public TimeSpan SetupTime { get; set; }

    /// <summary>When the run ended (null while it runs); its wall time counts from <see cref="CreatedUtc"/> whichever silo drove it.</summary>
    [Id(7)] public DateTime? FinishedUtc { get; set; }

    [Id(8)] public DateTime CreatedUtc { get; set; }

    [Id(9)] public string[] PartitionSilos { get; set; } = [];

    [Id(10)] public List<RunRecovery> Recoveries { get; set; } = [];

    [Id(11)] public LlmRunStats? Llm { get; set; }

    [Id(12)] public int CheckpointEvery { get; set; }
}

/// <summary>A run's spec as the controller stores it, once, when the run starts.</summary>
[GenerateSerializer, Alias("agentswarm.run-spec-record")]
public sealed class RunSpecRecord
{
    [Id(0)] public RunSpec? Spec { get; set; }
}

/// <summary>What happened when the run lost a silo (or its controller) and went on.</summary>
/// <param name="Round">The round under way when the loss was noticed.</param>
/// <param name="RolledBackTo">The checkpoint round the partitions went back to (0: the start).</param>
/// <param name="Reason">The failure as Orleans reported it.</param>
/// <param name="Resumed">When the run was stepping again.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.run-recovery")]
public sealed record RunRecovery(int Round, int RolledBackTo, string Reason, DateTime NoticedUtc, DateTime ResumedUtc, string[] PartitionSilos);

/// <summary>A run as a client sees it: spec, placement, recoveries.</summary>
/// <param name="ControllerSilo">The silo that hosts the controller now.</param>
/// <param name="PartitionSilos">The silo of each partition, by index.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.run-info")]
public sealed record RunInfo(
    string RunId,
    RunSpec Spec,
    string ControllerSilo,
    string[] PartitionSilos,
    RunRecovery[] Recoveries,
    int CheckpointEvery,
    int CheckpointRound,
    DateTime CreatedUtc,
    LlmRunStats? Llm);

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

/// <summary>An agent came back on a silo without the memory it had (its silo was lost): the run must restore from a checkpoint.</summary>
[GenerateSerializer, Alias("agentswarm.agent-state-lost")]
public sealed class AgentStateLostException : Exception
{
    public AgentStateLostException()
    {
    }

    public AgentStateLostException(string message)
        : base(message)
    {
    }

    public AgentStateLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
