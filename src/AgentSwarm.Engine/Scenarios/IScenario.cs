using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine.Scenarios;

/// <summary>
/// A scenario's rules, as the engine sees them. Stateless and shared: per-agent state lives in the
/// <see cref="IAgentMind"/> it creates, per-round state in the partials and stats it returns.
/// </summary>
public interface IScenario
{
    /// <summary>The name scenario files use (<c>scenario: guess-two-thirds</c>).</summary>
    string Name { get; }

    /// <summary>Checks a run's settings; returns a message naming the problem, or null.</summary>
    string? Validate(RunSpec spec);

    /// <summary>Creates agent <paramref name="index"/>'s mind: its profile, drawn from (seed, index), and empty memory.</summary>
    IAgentMind CreateMind(RoundContext context, int index);

    /// <summary>Reduces one partition's actions (agents first .. first + actions.Length - 1) into a partial aggregate.</summary>
    RoundPartial Reduce(RoundContext context, int firstAgent, ReadOnlySpan<AgentAction> actions);

    /// <summary>Merges the partials, given in partition order, into the round's statistics.</summary>
    RoundStats Merge(RoundContext context, IReadOnlyList<RoundPartial> partials);

    /// <summary>
    /// What every agent is told at the start of round 1: a shared world's initial state, say (null: nothing). A pure
    /// function of the run's spec, so a replay or a recovered controller makes the same one.
    /// </summary>
    ScenarioBroadcast? FirstBroadcast(RoundContext context) => null;

    /// <summary>What every agent is told at the start of the next round.</summary>
    ScenarioBroadcast? NextBroadcast(RoundContext context, RoundStats stats);

    /// <summary>Whether the run has nothing left to do after this round (every agent finished), so it may end early.</summary>
    bool IsFinished(RoundContext context, RoundStats stats) => false;

    /// <summary>
    /// Which bar of the round statistics' histogram an agent's action counts in, as <see cref="Reduce"/> counts it
    /// (null: in none, an invalid answer say, or the scenario draws no histogram). The console lists a bar's agents by it.
    /// </summary>
    int? HistogramBin(ScenarioConfig config, AgentAction action) => null;
}

/// <summary>One agent's profile and memory, and how it acts under each built-in policy.</summary>
public interface IAgentMind
{
    /// <summary>The scenario's rule-based behaviour (level-k reasoning in guess-2/3, say).</summary>
    AgentDecision Heuristic(AgentTurn turn);

    /// <summary>A uniformly random valid action.</summary>
    AgentDecision Random(AgentTurn turn);

    /// <summary>Records what the agent saw and did this round (bounded).</summary>
    void Remember(AgentTurn turn, AgentDecision decision);

    /// <summary>Human-readable memory, oldest first, for inspection.</summary>
    string[] DescribeMemory();

    /// <summary>
    /// Writes what the mind has learned since it was created (memory, answers, conversation) for a checkpoint; what
    /// follows from (seed, index) alone is rebuilt by <see cref="IScenario.CreateMind"/> and need not be written.
    /// </summary>
    void Save(BinaryWriter writer);

    /// <summary>Takes back what <see cref="Save"/> wrote, into a mind just created for the same run and agent.</summary>
    void Restore(BinaryReader reader);

    /// <summary>An LLM-driven mind's whole conversation so far, for transcripts; null for minds that keep none.</summary>
    LlmMessage[]? Transcript() => null;

    /// <summary>Per-agent counters the scenario reports (fallbacks, failed parses); null for none.</summary>
    Dictionary<string, int>? Counters() => null;
}

/// <summary>What an agent decided this round.</summary>
/// <param name="Idle">Nothing to do until mail arrives: the engine may skip the agent, keeping this action, while its inbox is empty.</param>
public readonly record struct AgentDecision(AgentAction Action, OutgoingMessage[]? Outgoing = null, bool Idle = false);

/// <summary>Everything an agent sees on its turn.</summary>
public readonly record struct AgentTurn(int Index, RoundContext Context, int[] Neighbours, Inbox Inbox)
{
    public int Round => Context.Round;

    /// <summary>This agent's random stream for this round; independent of where and when it runs.</summary>
    public AgentRandom Random(int stream = 0) => AgentRandom.For(Context.Seed, Index, Context.Round, stream);
}
