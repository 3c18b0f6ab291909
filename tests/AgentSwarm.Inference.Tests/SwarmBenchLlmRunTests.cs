using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.SwarmBench;

namespace AgentSwarm.Inference.Tests;

/// <summary>SwarmBench's LLM agents on the simulated backend: every turn is a call, unreadable answers are STAY and counted.</summary>
public sealed class SwarmBenchLlmRunTests(InferenceClusterFixture fixture) : IClassFixture<InferenceClusterFixture>
{
    [Fact]
    public async Task AnLlmSwarmRunCompletesWithAWellFormedTraceAndCountedParseFailures()
    {
        const int Agents = 10;
        const int Rounds = 12;
        var spec = new RunSpec(
            SwarmBenchScenario.ScenarioName, Agents, Rounds, 27,
            new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=test-tiny?clock=virtual"], MaxOutputTokens: 128)),
            0, TopologySpec.None, new SwarmBenchConfig(SwarmTask.Synchronization, 10, 10));
        var (status, rounds, llm) = await fixture.RunAsync(spec);

        Assert.Equal(SimulationState.Completed, status.State);
        Assert.Equal(Rounds, rounds.Length);
        Assert.Equal(Agents * Rounds, llm!.Total.Requests);

        // The responder leaves out the ACTION line in one answer in twenty: those agents count a failed parse and stay.
        var snapshots = await Task.WhenAll(Enumerable.Range(0, Agents).Select(i => fixture.Cluster.Client.GetGrain<IAgentGrain>(i, status.RunId).GetSnapshotAsync()));
        var failed = snapshots.Sum(s => s.Counters![SwarmMind.FailedParsesCounter]);
        Assert.InRange(failed, 1, Agents * Rounds / 4);
        Assert.All(snapshots, s => Assert.Contains(s.Memory, m => m.StartsWith("view 1:", StringComparison.Ordinal)));

        using var stream = new MemoryStream();
        SwarmTrace.Write(stream, spec, rounds, "simulated-test-tiny");
        using var trace = JsonDocument.Parse(stream.ToArray());
        var traced = trace.RootElement.GetProperty("rounds");
        Assert.Equal(Rounds, traced.GetArrayLength());
        var actions = traced.EnumerateArray().SelectMany(r => r.GetProperty("actions").EnumerateArray().Select(a => a.GetString())).ToList();
        Assert.Equal(Agents * Rounds, actions.Count);
        Assert.Contains("SWITCH", actions);
        Assert.True(actions.Count(a => a == "STAY") >= failed, "every unreadable answer is a STAY");
        var messages = traced.EnumerateArray().SelectMany(r => r.GetProperty("messages").EnumerateArray()).Where(m => m.ValueKind == JsonValueKind.String).ToList();
        Assert.NotEmpty(messages);
        Assert.All(messages, m => Assert.InRange(m.GetString()!.Length, 1, 123));
        Assert.Equal(10, trace.RootElement.GetProperty("initial").GetProperty("lights").GetArrayLength());
    }
}
