using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.GuessTwoThirds;
using AgentSwarm.Tests.Shared;

namespace AgentSwarm.Engine.Tests;

/// <summary>The same run on one silo and on three, packed or as grains, gives the same numbers, bit for bit.</summary>
[Collection(ThreeSiloCollection.Name)]
public sealed class ThreeSiloTests(ThreeSiloFixture three)
{
    [Fact]
    public Task SameSeedGivesIdenticalRoundsOnOneAndThreeSilos() => OneSiloFixture.UseAsync(CompareAsync);

    private async Task CompareAsync(OneSiloFixture one)
    {
        Assert.Equal(3, three.Cluster.Silos.Count);

        var spec = new RunSpec(
            GuessTwoThirdsScenario.ScenarioName, 2000, 4, 99, PolicySpec.Heuristic, 12,
            new TopologySpec(TopologyKind.WattsStrogatz, Degree: 4, Rewire: 0.3),
            GuessTwoThirdsConfig.Default with { Messaging = GuessMessaging.Neighbours, InvalidShare = 0.02 },
            SameRounds.HashOnly);

        var (oneStatus, oneRounds) = await one.RunAsync(spec with { Hosting = AgentHosting.Grain });
        var (threeStatus, threeRounds) = await three.RunAsync(spec with { Hosting = AgentHosting.Packed });
        var (_, threeGrainRounds) = await three.RunAsync(spec with { Hosting = AgentHosting.Grain });
        var (_, onePackedRounds) = await one.RunAsync(spec with { Hosting = AgentHosting.Packed, Partitions = 5 });
        SameRounds.Assert(oneRounds, threeRounds, "one silo grains vs three silos packed");
        SameRounds.Assert(oneRounds, threeGrainRounds, "one silo grains vs three silos grains");
        SameRounds.Assert(oneRounds, onePackedRounds, "one silo grains vs one silo packed");

        Assert.Equal(SimulationState.Completed, oneStatus.State);
        Assert.Equal(SimulationState.Completed, threeStatus.State);
        Assert.Equal(4, threeRounds.Length);
        for (var r = 0; r < oneRounds.Length; r++)
        {
            RoundEngineTests.AssertBitIdentical((GuessRoundStats)oneRounds[r].Stats, (GuessRoundStats)threeRounds[r].Stats, $"round {r + 1}");
            Assert.Equal(oneRounds[r].Messages, threeRounds[r].Messages);
        }
    }
}
