using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.AgentsNet;

namespace AgentSwarm.Engine.Tests;

/// <summary>Classical agents on the engine solve every AgentsNet task: they are the ceiling row of any results table.</summary>
[Collection(OneSiloCollection.Name)]
public sealed class AgentsNetClassicalTests(OneSiloFixture fixture)
{
    private static string InstanceFolder() =>
        AgentsNetGraphs.FindShippedInstances(AppContext.BaseDirectory)
        ?? throw new DirectoryNotFoundException($"scenarios/agentsnet not found above {AppContext.BaseDirectory}");

    private async Task<AgentsNetResult> RunAsync(AgentsNetTask task, AgentsNetGraph graph, PolicySpec policy, int partitions = 0)
    {
        var spec = AgentsNetRun.Spec(task, graph, policy, seed: 7, partitions);
        var (status, rounds) = await fixture.RunAsync(spec);
        Assert.True(status.State == SimulationState.Completed, $"{graph.Source} {task}: {status.State} {status.Error}");
        return AgentsNetRun.Result(graph, spec, rounds, policy.Name);
    }

    [Fact]
    public async Task ClassicalAgentsSolveAllTwentySevenPublishedInstancesForAllFiveTasks()
    {
        var failures = new List<string>();
        foreach (var file in Directory.GetFiles(InstanceFolder(), "graph_*.json").Order())
        {
            var graph = NodeLinkFile.Read(file);
            foreach (var task in Enum.GetValues<AgentsNetTask>())
            {
                var result = await RunAsync(task, graph, PolicySpec.Heuristic, partitions: 2);
                if (!result.Solved)
                {
                    failures.Add($"{Path.GetFileName(file)} {task}: score {result.Score}");
                }

                if (task is AgentsNetTask.Consensus or AgentsNetTask.LeaderElection)
                {
                    Assert.Equal(2 * graph.Diameter + 2, result.RoundsRun); // 2D + 1 message rounds and the answer
                }
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("ba")]
    [InlineData("dt")]
    public async Task ClassicalAgentsSolveGeneratedThousandNodeGraphs(string kind)
    {
        var graph = AgentsNetGraphs.Generate(kind, 1000, 3);
        foreach (var task in Enum.GetValues<AgentsNetTask>())
        {
            var result = await RunAsync(task, graph, PolicySpec.Heuristic);
            Assert.True(result.Solved, $"{kind} {task}: score {result.Score}, rounds used {result.RoundsUsed}");
            Assert.NotNull(result.RoundsUsed);
            if (task is not (AgentsNetTask.Consensus or AgentsNetTask.LeaderElection))
            {
                // The run ends in the round every agent finished, well before its generous limit.
                var planned = AgentsNetRun.Spec(task, graph, PolicySpec.Heuristic, seed: 7).Rounds;
                Assert.Equal(result.RoundsUsed, result.RoundsRun);
                Assert.True(result.RoundsRun < planned, $"{kind} {task}: ran {result.RoundsRun} of {planned} rounds");
            }
        }
    }

    [Fact]
    public async Task IdleAgentsWithoutMailAreSkippedButAllAnswerInTheLastRound()
    {
        var graph = AgentsNetGraphs.Generate("dt", 400, 5);
        var spec = AgentsNetRun.Spec(AgentsNetTask.LeaderElection, graph, PolicySpec.Heuristic, seed: 7);
        var (status, rounds) = await fixture.RunAsync(spec);

        Assert.Equal(SimulationState.Completed, status.State);
        Assert.Equal(graph.NodeCount, rounds[0].AgentSteps);

        // Flooding passes on only news: once the smallest name has passed, agents fall quiet and are not stepped.
        Assert.True(rounds[^2].AgentSteps < graph.NodeCount / 10, $"round {rounds[^2].Round} stepped {rounds[^2].AgentSteps} of {graph.NodeCount}");
        Assert.True(rounds[^2].Messages < rounds[1].Messages);
        Assert.Equal(graph.NodeCount, rounds[^1].AgentSteps);
        Assert.True(AgentsNetRun.Result(graph, spec, rounds, "classical").Solved);
        Assert.Equal(graph.NodeCount, ((AgentsNetRoundStats)rounds[^1].Stats).Decided);

        // The controller scores the final answers itself, and agrees with the scoring of the caller's graph.
        Assert.Equal(1.0, ((AgentsNetRoundStats)rounds[^1].Stats).Score);
        Assert.True(double.IsNaN(((AgentsNetRoundStats)rounds[1].Stats).Score));
    }

    [Fact]
    public async Task RandomAnswersAreScoredLikeAnyOther()
    {
        var graph = AgentsNetGraphs.Generate("ws", 60, 1);
        var result = await RunAsync(AgentsNetTask.Coloring, graph, new PolicySpec(PolicyNames.Random, TimeSpan.Zero, 0));
        Assert.False(result.Solved);
        Assert.All(result.Answers, a => Assert.StartsWith("Group ", a));
        Assert.Equal(AgentsNetRules.Score(AgentsNetTask.Coloring, graph, result.Answers).Score, result.Score);
    }
}
