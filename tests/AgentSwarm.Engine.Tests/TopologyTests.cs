using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Topology;

namespace AgentSwarm.Engine.Tests;

public sealed class TopologyTests
{
    private static void AssertSimpleAndSymmetric(Graph g)
    {
        for (var v = 0; v < g.NodeCount; v++)
        {
            var row = g.Neighbours(v);
            for (var j = 0; j < row.Length; j++)
            {
                Assert.NotEqual(v, row[j]);
                Assert.True(j == 0 || row[j] > row[j - 1], $"row {v} must be sorted without repeats");
                Assert.True(g.HasEdge(row[j], v), $"edge {v}-{row[j]} must be in both rows");
            }
        }
    }

    [Fact]
    public void RingLinksEachAgentToItsNearestOnBothSides()
    {
        var g = TopologyBuilder.Ring(10, 4);
        Assert.Equal([1, 2, 8, 9], g.Neighbours(0).ToArray());
        Assert.Equal(20, g.EdgeCount);
        AssertSimpleAndSymmetric(g);
    }

    [Fact]
    public void GridIsAFourNeighbourLatticeWithoutWrapAround()
    {
        var g = TopologyBuilder.Grid(9);
        Assert.Equal([1, 3], g.Neighbours(0).ToArray());
        Assert.Equal([1, 3, 5, 7], g.Neighbours(4).ToArray());
        Assert.Equal(12, g.EdgeCount);
        AssertSimpleAndSymmetric(g);
    }

    [Fact]
    public void RandomRegularGivesEveryAgentExactlyDegreeNeighbours()
    {
        var rng = AgentRandom.ForRun(3, 1);
        var g = TopologyBuilder.RandomRegular(1001, 4, ref rng);
        Assert.All(Enumerable.Range(0, 1001), v => Assert.Equal(4, g.Degree(v)));
        AssertSimpleAndSymmetric(g);
    }

    [Fact]
    public void WattsStrogatzKeepsTheEdgeCountAndRewiresSome()
    {
        var rng = AgentRandom.ForRun(5, 1);
        var g = TopologyBuilder.WattsStrogatz(2000, 4, 0.2, ref rng);
        Assert.Equal(4000, g.EdgeCount);
        AssertSimpleAndSymmetric(g);
        var lattice = TopologyBuilder.Ring(2000, 4);
        var rewired = Enumerable.Range(0, 2000).Sum(v => g.Neighbours(v).ToArray().Count(u => !lattice.HasEdge(v, u))) / 2;
        Assert.InRange(rewired, 600, 1000); // about p x edges
    }

    [Fact]
    public void BarabasiAlbertAttachesEachNewAgentWithMEdgesAndGrowsHubs()
    {
        var rng = AgentRandom.ForRun(5, 1);
        var g = TopologyBuilder.BarabasiAlbert(5000, 2, ref rng);
        Assert.Equal(2 + (5000 - 3) * 2, g.EdgeCount);
        AssertSimpleAndSymmetric(g);
        Assert.True(g.MaxDegree() > 50, "preferential attachment should make hubs");
    }

    [Fact]
    public void TheSameSeedBuildsTheSameGraph()
    {
        var spec = new TopologySpec(TopologyKind.WattsStrogatz, 6, 0.3);
        var a = TopologyBuilder.Build(spec, 500, 9);
        var b = TopologyBuilder.Build(spec, 500, 9);
        var c = TopologyBuilder.Build(spec, 500, 10);
        Assert.Equal(a.Targets, b.Targets);
        Assert.NotEqual(a.Targets, c.Targets);
    }

    [Fact]
    public void EdgeListsDropLoopsAndRepeatsAndReportBadLines()
    {
        var g = TopologyBuilder.Build(new TopologySpec(TopologyKind.EdgeList, Edges: [0, 1, 1, 0, 2, 2, 1, 2]), 4, 1);
        Assert.Equal(2, g.EdgeCount);
        Assert.Empty(g.Neighbours(3).ToArray());

        var path = Path.GetTempFileName();
        File.WriteAllText(path, "# edges\n0 1\n1,2\n2 x\n");
        var error = Assert.Throws<FormatException>(() => EdgeListFile.Read(path));
        Assert.Contains($"{path}:4", error.Message);
        File.Delete(path);

        Assert.NotNull(TopologyBuilder.Validate(new TopologySpec(TopologyKind.EdgeList, Edges: [0, 9]), 4));
    }

    [Theory]
    [InlineData(TopologyKind.Ring, 3, 10, "even")]
    [InlineData(TopologyKind.WattsStrogatz, 12, 10, "needs more")]
    [InlineData(TopologyKind.RandomRegular, 3, 11, "even")]
    public void ImpossibleTopologiesAreRefusedWithTheReason(TopologyKind kind, int degree, int nodes, string reason)
    {
        Assert.Contains(reason, TopologyBuilder.Validate(new TopologySpec(kind, degree), nodes));
    }
}
