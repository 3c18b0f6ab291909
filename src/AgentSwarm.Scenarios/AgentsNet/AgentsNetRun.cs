using AgentSwarm.Abstractions;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>The result of one AgentsNet run, as the reference's result files have it (less transcripts).</summary>
/// <param name="RoundsRun">Engine rounds run: the budget plus the answer round, or fewer when every agent finished early.</param>
/// <param name="RoundsUsed">The first engine round after which every agent had finished its algorithm (null if some never did).</param>
public sealed record AgentsNetResult(
    string Task,
    int NumNodes,
    int Diameter,
    int MaxDegree,
    int Rounds,
    int RoundsRun,
    int? RoundsUsed,
    string ModelName,
    double Score,
    bool Solved,
    string?[] Answers);

/// <summary>Turns an AgentsNet instance and task into an engine run, and the run's last round into a score.</summary>
public static class AgentsNetRun
{
    /// <summary>
    /// The run for a task on a graph. LLM agents get the task's budget R plus the answer round; classical agents
    /// also get room to finish randomised algorithms (their result says how many rounds they used).
    /// </summary>
    public static RunSpec Spec(AgentsNetTask task, AgentsNetGraph graph, PolicySpec policy, ulong seed, int partitions = 0, AgentsNetLlmConfig? llm = null)
    {
        var budget = AgentsNetRules.Rounds(task, graph);
        var rounds = budget + 1;
        if (policy.Name == PolicyNames.Heuristic && task is not (AgentsNetTask.Consensus or AgentsNetTask.LeaderElection))
        {
            // Randomised colouring, matching and independent-set phases finish in O(log n) rounds with high probability.
            rounds = Math.Max(budget, 8 * (int)Math.Ceiling(Math.Log2(graph.NodeCount + 1)) + 8) + 1;
        }

        var edges = graph.Graph.Edges().SelectMany(e => new[] { e.U, e.V }).ToArray();
        var config = new AgentsNetConfig(task, graph.Names, budget, graph.MaxDegree + 1, rounds, edges, graph.Diameter, llm);
        return new RunSpec(
            AgentsNetScenario.ScenarioName,
            graph.NodeCount,
            rounds,
            seed,
            policy,
            partitions,
            new TopologySpec(TopologyKind.EdgeList, Edges: edges, Source: graph.Source),
            config);
    }

    public static AgentsNetResult Result(AgentsNetGraph graph, RunSpec spec, IReadOnlyList<RoundResult> rounds, string modelName)
    {
        var config = (AgentsNetConfig)spec.Config;
        var last = rounds.Count > 0 ? rounds[^1].Stats as AgentsNetRoundStats : null;
        var answers = last?.Answers ?? new string?[graph.NodeCount];

        // The controller scored the final answers; a run that never got that far (cancelled, failed) has none, and scores as unanswered.
        var score = new AgentsNetScore(last is { Answers: not null } ? last.Score : AgentsNetRules.Score(config.Task, graph, answers).Score);
        var used = rounds.FirstOrDefault(r => r.Stats is AgentsNetRoundStats s && s.Decided == s.Agents)?.Round;
        return new AgentsNetResult(
            config.Task.Name(), graph.NodeCount, graph.Diameter, graph.MaxDegree, config.MessageRounds, rounds.Count, used,
            modelName, score.Score, score.Solved, answers);
    }
}
