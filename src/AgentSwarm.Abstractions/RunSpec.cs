namespace AgentSwarm.Abstractions;

/// <summary>Everything a run is a pure function of: scenario, population, seed, policy, topology.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.run-spec")]
public sealed record RunSpec(
    string Scenario,
    int Agents,
    int Rounds,
    ulong Seed,
    PolicySpec Policy,
    int Partitions,
    TopologySpec Topology,
    ScenarioConfig Config)
{
    /// <summary>The most agents one run may hold; agent indices must fit the engine's int-indexed arrays.</summary>
    public const int MaxAgents = 100_000_000;
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
