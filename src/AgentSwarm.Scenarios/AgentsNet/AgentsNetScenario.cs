using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>An AgentsNet run on the engine: the task, the agents' names, and the rounds.</summary>
/// <param name="Names">Agent names by index; agents know their neighbours only by these.</param>
/// <param name="MessageRounds">The task's message-passing budget R (the rounds rule); the run itself may be longer.</param>
/// <param name="Colours">Colours allowed in colouring: max degree + 1.</param>
/// <param name="TotalRounds">Engine rounds of the run; every agent's answer in the last one is scored.</param>
/// <param name="Edges">The graph's edges, flattened (the same array the run's topology holds), so the controller can score.</param>
/// <param name="Diameter">The graph's exact diameter.</param>
/// <param name="Llm">The LLM agents' prompts (null: the defaults).</param>
[GenerateSerializer, Immutable, Alias("agentswarm.agentsnet-config")]
public sealed record AgentsNetConfig(
    AgentsNetTask Task,
    string[] Names,
    int MessageRounds,
    int Colours,
    int TotalRounds,
    int[] Edges,
    int Diameter,
    AgentsNetLlmConfig? Llm = null) : ScenarioConfig
{
    /// <summary>The instance, rebuilt from the config (for scoring).</summary>
    public AgentsNetGraph Graph() =>
        new(Names, Engine.Topology.Graph.FromFlatEdges(Names.Length, Edges), Diameter, Colours - 1, "config");
}

/// <summary>One partition's answers this round (null: no answer), in agent order, and how many agents have finished.</summary>
[GenerateSerializer, Immutable, Alias("agentswarm.agentsnet-partial")]
public sealed record AgentsNetPartial(string?[] Answers, int Decided) : RoundPartial;

/// <summary>A round of an AgentsNet run: how many agents have finished their algorithm, and in the final round the score.</summary>
/// <param name="Answers">Every agent's answer, by node index; only in the round that ends the run, where it is scored.</param>
/// <param name="Score">The task's score of those answers; NaN in other rounds.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.agentsnet-round-stats")]
public sealed record AgentsNetRoundStats(string Task, long Decided, long Agents, string?[]? Answers, double Score) : RoundStats
{
    public bool Solved => Score == 1.0;

    public override IReadOnlyList<KeyValuePair<string, double>> Columns() =>
    [
        new("decided", Decided),
        new("agents", Agents),
        new("score", Score),
    ];
}

/// <summary>
/// AgentsNet (arXiv 2507.08616) on the round engine. Under the llm policy agents are LLM-driven
/// (<see cref="AgentsNetLlmAgent"/>); under the heuristic policy they run classical distributed algorithms over the
/// same channel: one text message per neighbour per round, read next round.
/// </summary>
public sealed class AgentsNetScenario : IScenario
{
    public const string ScenarioName = "agentsnet";

    public string Name => ScenarioName;

    public string? Validate(RunSpec spec) => spec.Config switch
    {
        AgentsNetConfig c when c.Names.Length != spec.Agents => $"agentsnet: {c.Names.Length} names for {spec.Agents} agents",
        AgentsNetConfig c when c.TotalRounds != spec.Rounds => $"agentsnet: config says {c.TotalRounds} rounds, the run {spec.Rounds}",
        AgentsNetConfig c when spec.Policy.Name == PolicyNames.Llm && c.TotalRounds != c.MessageRounds + 1 =>
            $"agentsnet: LLM agents need the {c.MessageRounds} message rounds plus the answer round, not {c.TotalRounds} rounds",
        AgentsNetConfig => null,
        _ => "agentsnet needs an AgentsNetConfig",
    };

    public IAgentMind CreateMind(RoundContext context, int index) => context.Policy.Name == PolicyNames.Llm
        ? new AgentsNetLlmAgent((AgentsNetConfig)context.Config, context.Seed, index)
        : ClassicalAgent.Create((AgentsNetConfig)context.Config, context.Seed, index);

    public RoundPartial Reduce(RoundContext context, int firstAgent, ReadOnlySpan<AgentAction> actions)
    {
        // An agent's action: Text is its answer as of now, Number is 1 once its algorithm has finished.
        var answers = new string?[actions.Length];
        var decided = 0;
        for (var i = 0; i < actions.Length; i++)
        {
            answers[i] = actions[i].Text;
            decided += actions[i].Number == 1 ? 1 : 0;
        }

        return new AgentsNetPartial(answers, decided);
    }

    public RoundStats Merge(RoundContext context, IReadOnlyList<RoundPartial> partials)
    {
        var config = (AgentsNetConfig)context.Config;
        var parts = partials.Cast<AgentsNetPartial>().ToArray();
        var decided = parts.Sum(p => (long)p.Decided);
        var agents = parts.Sum(p => (long)p.Answers.Length);

        // The answers travel, and are scored, only in the round that ends the run: the last one, or the one where
        // all agents finished.
        if (context.Round != config.TotalRounds && decided != agents)
        {
            return new AgentsNetRoundStats(config.Task.Name(), decided, agents, null, double.NaN);
        }

        string?[] answers = [.. parts.SelectMany(p => p.Answers)];
        var score = AgentsNetRules.Score(config.Task, config.Graph(), answers).Score;
        return new AgentsNetRoundStats(config.Task.Name(), decided, agents, answers, score);
    }

    public ScenarioBroadcast? NextBroadcast(RoundContext context, RoundStats stats) => null;

    /// <summary>Once every agent's algorithm has finished, no answer can change: the run ends (classical agents only get here early).</summary>
    public bool IsFinished(RoundContext context, RoundStats stats) => stats is AgentsNetRoundStats { Answers: not null };
}
