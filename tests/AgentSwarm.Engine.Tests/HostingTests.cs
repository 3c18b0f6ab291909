using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.AgentsNet;
using AgentSwarm.Scenarios.GuessTwoThirds;
using AgentSwarm.Tests.Shared;

namespace AgentSwarm.Engine.Tests;

/// <summary>
/// Packed hosting (minds in their partition) and grain hosting (an activation per agent) run the same mind and
/// policy code: every round's statistics and state hash (every agent's action and every message it sent) agree,
/// whatever the partition count.
/// </summary>
[Collection(OneSiloCollection.Name)]
public sealed class HostingTests(OneSiloFixture fixture)
{
    [Fact]
    public async Task GuessTwoThirdsGivesTheSameRoundsPackedAndAsGrainsOnAnyPartitionCount()
    {
        var spec = new RunSpec(
            GuessTwoThirdsScenario.ScenarioName, 2500, 4, 5, PolicySpec.Heuristic, 5,
            new TopologySpec(TopologyKind.WattsStrogatz, Degree: 4, Rewire: 0.2),
            GuessTwoThirdsConfig.Default with { Messaging = GuessMessaging.Neighbours, InvalidShare = 0.03 },
            SameRounds.HashOnly);

        var (grainStatus, grain) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Grain });
        var (_, packed) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed });
        var (_, packedMany) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed, Partitions = 37 });

        Assert.Equal(SimulationState.Completed, grainStatus.State);
        Assert.True(grain[0].Messages > 5000, "agents should message their neighbours");
        SameRounds.Assert(grain, packed, "grain vs packed");
        SameRounds.Assert(grain, packedMany, "grain vs packed on 37 partitions");
    }

    [Fact]
    public async Task DummyLatencyAgentsWaitTheirLatencyAndAnswerTheSamePackedAllAtOnceBoundedAndAsGrains()
    {
        // Packed with every agent in flight, the partition groups its agents by timer slot and answers a slot at a
        // time; under a concurrency bound it steps them one by one; as grains each agent waits in its own activation.
        var latency = TimeSpan.FromMilliseconds(150);
        var spec = new RunSpec(
            GuessTwoThirdsScenario.ScenarioName, 3000, 3, 11, new PolicySpec(PolicyNames.DummyLatency, latency, 0), 4,
            new TopologySpec(TopologyKind.WattsStrogatz, Degree: 4, Rewire: 0.2),
            GuessTwoThirdsConfig.Default with { Messaging = GuessMessaging.Neighbours },
            SameRounds.HashOnly);

        var (_, grain) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Grain });
        var (_, slots) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed });
        var (_, bounded) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed, Partitions = 7, Policy = spec.Policy with { Concurrency = 700 } });

        SameRounds.Assert(grain, slots, "grain vs packed, all at once");
        SameRounds.Assert(grain, bounded, "grain vs packed, 100 at a time a partition");
        Assert.All(slots, r => Assert.True(r.Elapsed >= latency, $"round {r.Round} took {r.Elapsed.TotalMilliseconds} ms, less than the agents' wait"));
        Assert.All(slots, r => Assert.Equal(3000, r.AgentSteps));
        Assert.True(grain[1].Messages > 5000, "agents should message their neighbours");
    }

    [Fact]
    public async Task AgentsNetClassicalAgentsAnswerTheSamePackedAndAsGrains()
    {
        var graph = AgentsNetGraphs.Generate("ws", 300, 2);
        foreach (var task in new[] { AgentsNetTask.LeaderElection, AgentsNetTask.Matching, AgentsNetTask.Coloring })
        {
            // Matching and colouring agents go idle: packed partitions must skip and keep them exactly as grains do.
            var spec = AgentsNetRun.Spec(task, graph, PolicySpec.Heuristic, seed: 3, partitions: 3) with { Log = SameRounds.HashOnly };
            var (_, grain) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Grain });
            var (_, packed) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed, Partitions = 7 });

            SameRounds.Assert(grain, packed, task.ToString());
            var grainResult = AgentsNetRun.Result(graph, spec, grain, "classical");
            var packedResult = AgentsNetRun.Result(graph, spec, packed, "classical");
            Assert.True(packedResult.Solved, $"{task}: score {packedResult.Score}");
            Assert.Equal(grainResult.Answers, packedResult.Answers);
            Assert.True(grain.Sum(r => r.AgentSteps) < (long)graph.NodeCount * grain.Length || task == AgentsNetTask.LeaderElection,
                $"{task}: idle agents should have been skipped");
        }
    }

    [Fact]
    public async Task APackedAgentIsAddressableAsAGrainAndShowsWhatAGrainHostedOneShows()
    {
        var spec = new RunSpec(
            GuessTwoThirdsScenario.ScenarioName, 400, 3, 9, PolicySpec.Heuristic, 4,
            new TopologySpec(TopologyKind.Ring, Degree: 2),
            GuessTwoThirdsConfig.Default with { Messaging = GuessMessaging.Neighbours });

        var snapshots = new List<AgentSnapshot[]>();
        foreach (var hosting in new[] { AgentHosting.Grain, AgentHosting.Packed })
        {
            var runId = "hosting-" + Guid.NewGuid().ToString("N")[..8];
            var simulation = fixture.Client.GetGrain<ISimulationGrain>(runId);
            await simulation.StartAsync(spec with { Hosting = hosting });
            var status = await ClusterFixture.WaitAsync(simulation, s => s.State != SimulationState.Running, TimeSpan.FromMinutes(1));
            Assert.Equal(SimulationState.Completed, status.State);
            Assert.Equal(hosting, (await simulation.GetInfoAsync())!.Spec.Hosting);

            // First, last and partition edges: agent 99 is the last of partition 0, agent 100 the first of partition 1.
            int[] picks = [0, 99, 100, 257, 399];
            snapshots.Add(await Task.WhenAll(picks.Select(i => fixture.Client.GetGrain<IAgentGrain>(i, runId).GetSnapshotAsync())));
        }

        var (grain, packed) = (snapshots[0], snapshots[1]);
        for (var i = 0; i < grain.Length; i++)
        {
            Assert.Equal(grain[i].Index, packed[i].Index);
            Assert.Equal(grain[i].Neighbours, packed[i].Neighbours);
            Assert.Equal(3, packed[i].LastRound);
            Assert.Equal(grain[i].LastRound, packed[i].LastRound);
            Assert.Equal(3, packed[i].Memory.Length);
            Assert.Equal(grain[i].Memory, packed[i].Memory);
        }
    }

    [Fact]
    public async Task AutomaticHostingPacksHeuristicAgents()
    {
        var runId = "auto-" + Guid.NewGuid().ToString("N")[..8];
        var simulation = fixture.Client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(new RunSpec(GuessTwoThirdsScenario.ScenarioName, 10, 1, 1, PolicySpec.Heuristic, 0, TopologySpec.None, GuessTwoThirdsConfig.Default));
        await ClusterFixture.WaitAsync(simulation, s => s.State != SimulationState.Running, TimeSpan.FromMinutes(1));
        Assert.Equal(AgentHosting.Packed, (await simulation.GetInfoAsync())!.Spec.Hosting);
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(1000, 64)]
    [InlineData(7, 7)]
    [InlineData(3, 2)]
    [InlineData(1_000_003, 37)]
    public void EveryAgentBelongsToThePartitionWhoseBoundsHoldIt(int agents, int partitions)
    {
        var spec = new RunSpec(GuessTwoThirdsScenario.ScenarioName, agents, 1, 1, PolicySpec.Heuristic, partitions, TopologySpec.None, GuessTwoThirdsConfig.Default);
        var bounds = spec.PartitionBounds();
        Assert.Equal(0, bounds[0]);
        Assert.Equal(agents, bounds[^1]);
        for (var p = 0; p < partitions; p++)
        {
            for (var a = bounds[p]; a < bounds[p + 1]; a += Math.Max(1, (bounds[p + 1] - bounds[p]) / 5))
            {
                Assert.Equal(p, spec.PartitionOf(a));
            }

            if (bounds[p + 1] > bounds[p])
            {
                Assert.Equal(p, spec.PartitionOf(bounds[p + 1] - 1));
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => spec.PartitionOf(agents));
    }

    [Fact]
    public async Task APartitionActivatedWithoutItsAgentsReportsALossTheRunRecoversFrom()
    {
        // What a surviving silo sees after a kill -9: the controller's progress poll (or the step itself) activates a
        // partition afresh, with none of its agents. Stepping it must say "state lost" (the controller rolls back to
        // its checkpoint), not fail the run as a fault.
        var partition = fixture.Client.GetGrain<IPartitionGrain>(3, "never-set-up-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(0, await partition.GetProgressAsync());
        var context = new RoundContext("never-set-up", 5, 1, GuessTwoThirdsScenario.ScenarioName, GuessTwoThirdsConfig.Default, PolicySpec.Heuristic, null, 100, 10);
        var lost = await Assert.ThrowsAsync<AgentStateLostException>(() => partition.StepAsync(context, CancellationToken.None));
        Assert.Contains("partition 3", lost.Message);
        Assert.Contains("re-activated without its agents in round 5", lost.Message);
    }
}
