namespace AgentSwarm.Engine.Tests;

public sealed class AgentRandomTests
{
    [Fact]
    public void AStreamDependsOnlyOnSeedAgentAndRound()
    {
        var a = AgentRandom.For(42, 1234, 3);
        var b = AgentRandom.For(42, 1234, 3);
        var draws = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(draws, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray());

        var otherRound = AgentRandom.For(42, 1234, 4);
        var otherAgent = AgentRandom.For(42, 1235, 3);
        var otherSeed = AgentRandom.For(43, 1234, 3);
        Assert.NotEqual(draws[0], otherRound.NextUInt64());
        Assert.NotEqual(draws[0], otherAgent.NextUInt64());
        Assert.NotEqual(draws[0], otherSeed.NextUInt64());
    }

    [Fact]
    public void NeighbouringSeedsDoNotShuffleTheSameStreamsAmongAgents()
    {
        var first = Enumerable.Range(0, 64).Select(agent => AgentRandom.For(1, agent, 1).NextUInt64()).ToHashSet();
        var second = Enumerable.Range(0, 64).Select(agent => AgentRandom.For(2, agent, 1).NextUInt64());
        Assert.DoesNotContain(second, first.Contains);
    }

    [Fact]
    public void DrawsAreInRangeAndRoughlyUniform()
    {
        var rng = AgentRandom.For(1, 2, 3);
        var counts = new int[7];
        double sum = 0, squares = 0;
        for (var i = 0; i < 70_000; i++)
        {
            counts[rng.NextInt(7)]++;
            var u = rng.NextDouble();
            Assert.InRange(u, 0, 1);
            Assert.True(u < 1);
            var z = rng.NextGaussian();
            sum += z;
            squares += z * z;
        }

        Assert.All(counts, c => Assert.InRange(c, 9_400, 10_600));
        Assert.InRange(sum / 70_000, -0.02, 0.02);
        Assert.InRange(squares / 70_000, 0.97, 1.03);
    }
}
