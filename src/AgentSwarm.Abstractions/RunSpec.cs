namespace AgentSwarm.Abstractions;

/// <summary>Everything a run is a pure function of: scenario, population, seed, policy, topology.</summary>
/// <param name="Log">Where the run's event log goes and what it replays from (null: no log). Not part of what the results depend on.</param>
/// <param name="Hosting">Where agents live: an activation each, or packed into their partition (Auto: the policy's default).
/// Not part of what the results depend on: both give the same rounds, bit for bit.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.run-spec")]
public sealed record RunSpec(
    string Scenario,
    int Agents,
    int Rounds,
    ulong Seed,
    PolicySpec Policy,
    int Partitions,
    TopologySpec Topology,
    ScenarioConfig Config,
    RunLogSpec? Log = null,
    AgentHosting Hosting = AgentHosting.Auto)
{
    /// <summary>The most agents one run may hold; agent indices must fit the engine's int-indexed arrays.</summary>
    public const int MaxAgents = 100_000_000;

    /// <summary>First agent of every partition, plus the agent count last: partitions own contiguous, near-equal ranges.</summary>
    public int[] PartitionBounds()
    {
        var bounds = new int[Partitions + 1];
        for (var p = 0; p <= Partitions; p++)
        {
            bounds[p] = (int)((long)Agents * p / Partitions);
        }

        return bounds;
    }

    /// <summary>The partition that owns <paramref name="agent"/> (the last of several that start at it, as the post office picks).</summary>
    public int PartitionOf(int agent)
    {
        if (Partitions <= 0 || agent < 0 || agent >= Agents)
        {
            throw new ArgumentOutOfRangeException(nameof(agent), agent, $"run has {Agents} agents in {Partitions} partitions");
        }

        // The inverse of PartitionBounds: the largest p with floor(Agents * p / Partitions) <= agent.
        var p = (int)((((long)agent + 1) * Partitions - 1) / Agents);
        return Math.Min(p, Partitions - 1);
    }
}

/// <summary>How a run's agents are hosted.</summary>
public enum AgentHosting
{
    /// <summary>Chosen by the policy (see the README): packed for every built-in policy.</summary>
    Auto = 0,

    /// <summary>One Orleans activation per agent; its partition calls it once a round.</summary>
    Grain = 1,

    /// <summary>Agents' minds live in their partition, which steps them in process: one call per partition per round.
    /// Each agent is still addressable as an IAgentGrain, activated on demand and answered from its partition.</summary>
    Packed = 2,
}

/// <summary>How agents decide: a named policy and its knobs.</summary>
/// <param name="Name">heuristic, random, dummy-latency or llm.</param>
/// <param name="Latency">How long dummy-latency waits before answering (AgentScope used 1 s).</param>
/// <param name="Concurrency">Agents each partition steps at once; 0 picks a default for the policy.</param>
/// <param name="Llm">The llm policy's endpoints and request settings (null for other policies).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.policy-spec")]
public sealed record PolicySpec(string Name, TimeSpan Latency, int Concurrency, LlmSpec? Llm = null)
{
    public static PolicySpec Heuristic { get; } = new(PolicyNames.Heuristic, TimeSpan.Zero, 0);
}

public static class PolicyNames
{
    public const string Heuristic = "heuristic";
    public const string Random = "random";
    public const string DummyLatency = "dummy-latency";
    public const string Llm = "llm";

    public static IReadOnlyList<string> All { get; } = [Heuristic, Random, DummyLatency, Llm];
}

/// <summary>Scenario-specific settings (the rules of the game); each scenario derives its own record.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.scenario-config")]
public abstract record ScenarioConfig;

public enum TopologyKind
{
    None,
    Ring,
    Grid,
    RandomRegular,
    WattsStrogatz,
    BarabasiAlbert,
    EdgeList,
}

/// <summary>The communication graph between agents.</summary>
/// <param name="Kind">Which generator builds the graph.</param>
/// <param name="Degree">Ring: neighbours on each side x 2 (default 2); random-regular: degree (default 4); Watts-Strogatz: k (default 4). 0 takes the default.</param>
/// <param name="Rewire">Watts-Strogatz rewiring probability p.</param>
/// <param name="Attach">Barabasi-Albert: edges each new node attaches with (m).</param>
/// <param name="Edges">Edge list: pairs flattened as [a0, b0, a1, b1, ...] (undirected).</param>
/// <param name="Source">Where the edge list came from, for messages.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.topology-spec")]
public sealed record TopologySpec(
    TopologyKind Kind,
    int Degree = 0,
    double Rewire = 0,
    int Attach = 0,
    int[]? Edges = null,
    string? Source = null)
{
    public static TopologySpec None { get; } = new(TopologyKind.None);
}

/// <summary>
/// A run's event log. A run writes one (<see cref="Directory"/>); a replay or a resume reads the LLM responses of
/// rounds up to <see cref="ReplayUntil"/> from another (<see cref="ReplayFrom"/>) instead of calling the backend.
/// </summary>
/// <param name="Directory">The log folder to write (null: write nothing, as a replay does).</param>
/// <param name="WriteAfter">Rounds up to this one are already in the log (a resume): they are run again but not written.</param>
/// <param name="ReplayFrom">The log folder whose recorded LLM responses stand in for the backend (null: none).</param>
/// <param name="ReplayUntil">The last round whose LLM responses come from <see cref="ReplayFrom"/>; later rounds call the backend.</param>
/// <param name="SnapshotEvery">Write every agent's memory every this many rounds, and after the last (0: never).</param>
/// <param name="StopAfter">End the run, completed, after this round (0: run all rounds): a replay with --until.</param>
/// <param name="ReplayPartial">A round a lost silo interrupted: its calls already in <see cref="ReplayFrom"/> are answered from
/// there, the others are made (and recorded); so no call whose response was recorded is paid twice (0: none).</param>
/// <param name="LogId">The run id in the log's header, which every partition stream carries (null: this run's id; a resume
/// appends under the id of the run that started the log).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.run-log-spec")]
public sealed record RunLogSpec(string? Directory, int WriteAfter = 0, string? ReplayFrom = null, int ReplayUntil = 0, int SnapshotEvery = 0, int StopAfter = 0, int ReplayPartial = 0, string? LogId = null);
