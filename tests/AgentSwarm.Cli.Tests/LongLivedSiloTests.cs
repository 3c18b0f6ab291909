using System.Diagnostics;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Scenarios.Files;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace AgentSwarm.Cli.Tests;

/// <summary>Alone: the heap it measures is the whole test process's, so no other test may allocate meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}

/// <summary>
/// A long-lived silo runs many runs: a finished, released run leaves no agent, partition or inference activation
/// behind, and the silo's managed memory comes back to what it was before.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class LongLivedSiloTests(ITestOutputHelper output)
{
    private static readonly string Scenario = Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds.yaml");

    private static async Task<Dictionary<string, int>> ActivationsAsync(IClusterClient client)
    {
        var statistics = await client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics.GroupBy(s => s.GrainType).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
    }

    /// <summary>Activations of the grains a run spreads over the silo: agents, partitions, inference.</summary>
    private static int RunActivations(Dictionary<string, int> activations) =>
        activations.Where(a => a.Key.Contains("AgentGrain", StringComparison.Ordinal) || a.Key.Contains("PartitionGrain", StringComparison.Ordinal) || a.Key.Contains("InferenceGrain", StringComparison.Ordinal)).Sum(a => a.Value);

    private static async Task RunAndReleaseAsync(EmbeddedSilo silo, string runId, RunOverrides overrides)
    {
        var spec = ScenarioFile.Load(Scenario, overrides);
        var outcome = await new SimulationDriver(silo.Client) { PollInterval = TimeSpan.FromMilliseconds(20) }.RunAsync(runId, spec, null, null, CancellationToken.None);
        Assert.Equal(SimulationState.Completed, outcome.Final.State);
        Assert.True(RunActivations(await ActivationsAsync(silo.Client)) > 0, "the run's grains should be active before the release");
        await silo.Client.GetGrain<ISimulationGrain>(runId).ReleaseAsync();

        // Deactivation is asynchronous: wait for it, bounded.
        var clock = Stopwatch.StartNew();
        while (RunActivations(await ActivationsAsync(silo.Client)) > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"run {runId} left activations: {string.Join(", ", (await ActivationsAsync(silo.Client)).Select(a => $"{a.Key}={a.Value}"))}");
            await Task.Delay(100);
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [Fact]
    public async Task SeveralRunsOnOneSiloLeaveNoActivationsAndGiveTheirMemoryBack()
    {
        // Orleans' grain directory cache keeps the address of every agent placed (up to a million) after it deactivates;
        // bounded here so that what the test sees is what AgentSwarm itself keeps.
        await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, CancellationToken.None, new Dictionary<string, string?> { [HostKeys.DirectoryCacheSize] = "1000" });
        var heuristic = new RunOverrides(Agents: 40_000, Rounds: 3, Partitions: 4);
        var llm = new RunOverrides(Agents: 1_000, Rounds: 3, Policy: "llm", Llm: ["simulated=test-tiny?clock=virtual"]);

        // A first run of each kind loads what any run needs once (types, pools, caches of the runtime).
        await RunAndReleaseAsync(silo, "warm-heuristic", heuristic);
        await RunAndReleaseAsync(silo, "warm-llm", llm);
        var baseline = Heap();

        // Kept, one run's 40,000 agents would hold over 80 MB (about 2 KB of managed heap each). What does grow is
        // bounded by the runs' peak (pools and tables that do not shrink): it levels off within a few runs.
        for (var i = 0; i < 5; i++)
        {
            await RunAndReleaseAsync(silo, $"heuristic-{i}", heuristic);
            await RunAndReleaseAsync(silo, $"llm-{i}", llm);
            var heap = Heap();

            output.WriteLine($"after runs {i}: heap {heap / 1e6:F1} MB against {baseline / 1e6:F1} MB before");
            Assert.True(heap < baseline + (24 << 20), $"after {i + 1} more pairs of runs the heap is {heap / 1e6:F1} MB against {baseline / 1e6:F1} MB before");
        }
    }
}
