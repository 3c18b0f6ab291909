using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.SwarmBench;

namespace AgentSwarm.Engine.Tests;

/// <summary>The world is resolved on the controller from every agent's action, so three silos give one silo's trace.</summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class SwarmBenchThreeSiloTests(ThreeSiloFixture three)
{
    [Fact]
    public Task TheSameSeedGivesTheSameTraceOnOneAndThreeSilos() => OneSiloFixture.UseAsync(async one =>
    {
        foreach (var task in new[] { SwarmTask.Synchronization, SwarmTask.Flocking })
        {
            var spec = SwarmBenchRunTests.Spec(task, 100, PolicyNames.Heuristic, 9, rounds: 15, partitions: 6);
            var (_, alone) = await one.RunAsync(spec);
            var (_, spread) = await three.RunAsync(spec);
            Assert.Equal(SwarmBenchRunTests.Trace(spec, alone), SwarmBenchRunTests.Trace(spec, spread));
        }
    });
}
