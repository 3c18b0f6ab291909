using System.Text;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.SwarmBench;

namespace AgentSwarm.Engine.Tests;

/// <summary>SwarmBench runs on the engine: classical swarms beat random ones, and partitions do not change a trace.</summary>
[Collection(OneSiloCollection.Name)]
public sealed class SwarmBenchRunTests(OneSiloFixture fixture)
{
    public static RunSpec Spec(SwarmTask task, int agents, string policy, ulong seed, int rounds = 100, int partitions = 0)
    {
        var side = SwarmRules.SideFor(agents);
        return new RunSpec(
            SwarmBenchScenario.ScenarioName, agents, rounds, seed, new PolicySpec(policy, TimeSpan.Zero, 0), partitions,
            TopologySpec.None, new SwarmBenchConfig(task, side, side));
    }

    public static string Trace(RunSpec spec, IReadOnlyList<RoundResult> rounds)
    {
        using var stream = new MemoryStream();
        SwarmTrace.Write(stream, spec, rounds, spec.Policy.Name);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private async Task<double> ScoreAsync(SwarmTask task, int agents, string policy, ulong seed, int rounds)
    {
        var (status, results) = await fixture.RunAsync(Spec(task, agents, policy, seed, rounds), TimeSpan.FromMinutes(4));
        Assert.Equal(SimulationState.Completed, status.State);
        return ((SwarmRoundStats)results[^1].Stats).Score;
    }

    [Theory]
    [InlineData(10, 100, 3)]
    [InlineData(1000, 100, 1)]
    public async Task ClassicalSwarmsBeatRandomOnesOnEveryTask(int agents, int rounds, int seeds)
    {
        var failures = new List<string>();
        foreach (var task in Enum.GetValues<SwarmTask>())
        {
            double classical = 0, random = 0;
            for (var seed = 1UL; seed <= (ulong)seeds; seed++)
            {
                classical += await ScoreAsync(task, agents, PolicyNames.Heuristic, seed, rounds);
                random += await ScoreAsync(task, agents, PolicyNames.Random, seed, rounds);
            }

            if (classical <= random)
            {
                failures.Add($"{task.Name()} at {agents} agents: classical {classical / seeds:F2} against random {random / seeds:F2}");
            }
        }

        Assert.Empty(failures);
    }

    [Theory]
    [InlineData(SwarmTask.Pursuit)]
    [InlineData(SwarmTask.Transport)]
    [InlineData(SwarmTask.Foraging)]
    public async Task TheSameSeedGivesTheSameTraceOnFourOrSixtyFourPartitions(SwarmTask task)
    {
        var four = Spec(task, 200, PolicyNames.Random, 5, rounds: 20, partitions: 4);
        var sixtyFour = four with { Partitions = 64 };
        var (_, a) = await fixture.RunAsync(four);
        var (_, b) = await fixture.RunAsync(sixtyFour);
        var trace = Trace(four, a);
        Assert.Equal(trace, Trace(sixtyFour, b));

        // Well formed, and it holds what another implementation needs to replay it.
        using var json = JsonDocument.Parse(trace);
        var root = json.RootElement;
        Assert.Equal(SwarmTrace.Format, root.GetProperty("format").GetString());
        Assert.Equal(200, root.GetProperty("initial").GetProperty("agents").GetArrayLength());
        Assert.True(root.GetProperty("initial").GetProperty("walls").GetArrayLength() > 0);
        var rounds = root.GetProperty("rounds");
        Assert.Equal(a.Length, rounds.GetArrayLength());
        Assert.Equal(200, rounds[0].GetProperty("actions").GetArrayLength());
        Assert.Equal(200, rounds[0].GetProperty("world").GetProperty("agents").GetArrayLength());
    }
}
