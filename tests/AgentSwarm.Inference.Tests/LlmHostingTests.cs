using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.AgentsNet;
using AgentSwarm.Scenarios.GuessTwoThirds;
using AgentSwarm.Tests.Shared;

namespace AgentSwarm.Inference.Tests;

/// <summary>
/// LLM agents packed in their partitions and LLM agents as grains make the same calls and get the same answers: every
/// round's state hash (each agent's action and messages), statistics and LLM call count agree, however many agents are
/// in flight at once.
/// </summary>
public sealed class LlmHostingTests(InferenceClusterFixture fixture) : IClassFixture<InferenceClusterFixture>
{
    [Fact]
    public async Task GuessTwoThirdsLlmAgentsGiveTheSameRoundsPackedAndAsGrains()
    {
        var spec = new RunSpec(
            GuessTwoThirdsScenario.ScenarioName, 300, 3, 21,
            new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=test-tiny?clock=virtual&malformed=0.05&seed=5"], 0.7, 64, 2, TimeSpan.FromSeconds(30))),
            3, TopologySpec.None, GuessTwoThirdsConfig.Default, SameRounds.HashOnly);

        var (grainStatus, grain, grainLlm) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Grain });
        var (packedStatus, packed, packedLlm) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed, Partitions = 5 });

        // The policy's own bound (3 per call the endpoint takes at once: 48 here) against every agent at once.
        var (allStatus, allAtOnce, _) = await fixture.RunAsync(spec with { Hosting = AgentHosting.Packed, Partitions = 5, Policy = spec.Policy with { Concurrency = 300 } });

        Assert.Equal(SimulationState.Completed, grainStatus.State);
        Assert.Equal(SimulationState.Completed, packedStatus.State);
        Assert.Equal(SimulationState.Completed, allStatus.State);
        SameRounds.Assert(grain, packed, "guess llm");
        SameRounds.Assert(packed, allAtOnce, "guess llm, every agent at once");
        Assert.Equal(2 * 3 * 300, grainLlm!.Total.Requests);
        Assert.Equal(grainLlm.Total.Requests, packedLlm!.Total.Requests);
    }

    [Fact]
    public async Task AgentsNetLlmAgentsGiveTheSameAnswersAndTranscriptsPackedAndAsGrains()
    {
        var graph = AgentsNetGraphs.Generate("ba", 12, 4);
        var policy = new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=test-tiny?clock=virtual&seed=2"], 0.7, 256, 2, TimeSpan.FromSeconds(30)));
        var spec = AgentsNetRun.Spec(AgentsNetTask.Coloring, graph, policy, seed: 4, partitions: 2) with { Log = SameRounds.HashOnly };

        var transcripts = new List<string[]>();
        var results = new List<RoundResult[]>();
        foreach (var hosting in new[] { AgentHosting.Grain, AgentHosting.Packed })
        {
            var runId = "agentsnet-llm-" + Guid.NewGuid().ToString("N")[..8];
            var (status, rounds, _) = await fixture.RunAsync(spec with { Hosting = hosting, Partitions = hosting == AgentHosting.Packed ? 3 : 2 }, runId);
            Assert.True(status.State == SimulationState.Completed, $"{hosting}: {status.State} {status.Error}");
            results.Add(rounds);
            var snapshots = await Task.WhenAll(Enumerable.Range(0, graph.NodeCount).Select(i => fixture.Cluster.Client.GetGrain<IAgentGrain>(i, runId).GetSnapshotAsync()));
            transcripts.Add([.. snapshots.Select(s => string.Join("\n", (s.Transcript ?? []).Select(m => $"{m.Role}: {m.Text}")))]);
        }

        SameRounds.Assert(results[0], results[1], "agentsnet llm");
        Assert.All(transcripts[1], t => Assert.Contains("Final Answer", t));
        Assert.Equal(transcripts[0], transcripts[1]);
    }
}
