using AgentSwarm.Engine;
using AgentSwarm.Engine.Topology;
using NetTopologySuite.Geometries;
using NetTopologySuite.Triangulate;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>The graph families of AgentsNet: ws (connected Watts-Strogatz, k = 4, p = 0.4), ba (Barabasi-Albert, m = 2), dt (Delaunay).</summary>
public static class AgentsNetGraphs
{
    public static IReadOnlyList<string> Kinds { get; } = ["ws", "ba", "dt"];

    public static AgentsNetGraph Generate(string kind, int nodes, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 2);
        var graph = kind switch
        {
            "ws" => ConnectedWattsStrogatz(nodes, 4, 0.4, seed),
            "ba" => BarabasiAlbertFrom(nodes, seed),
            "dt" => Delaunay(nodes, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"unknown graph kind (expected one of: {string.Join(", ", Kinds)})"),
        };
        return AgentsNetGraph.Create(graph, AgentNames.For(nodes), $"{kind}-{nodes}-seed{seed}");
    }

    /// <summary>Watts-Strogatz drawn again (with the next random stream) until connected, as networkx does, at most 100 times.</summary>
    public static Graph ConnectedWattsStrogatz(int nodes, int k, double p, ulong seed)
    {
        k = Math.Min(k, nodes - 1 - ((nodes - 1) % 2));
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var rng = AgentRandom.ForRun(seed, purpose: 10 + attempt);
            var graph = TopologyBuilder.WattsStrogatz(nodes, Math.Max(2, k), p, ref rng);
            if (IsConnected(graph))
            {
                return graph;
            }
        }

        throw new InvalidOperationException($"no connected Watts-Strogatz graph on {nodes} nodes in 100 attempts");
    }

    private static Graph BarabasiAlbertFrom(int nodes, ulong seed)
    {
        var rng = AgentRandom.ForRun(seed, purpose: 2);
        return TopologyBuilder.BarabasiAlbert(nodes, Math.Min(2, nodes - 1), ref rng);
    }

    /// <summary>Delaunay triangulation of n uniform points in the unit square (NetTopologySuite).</summary>
    public static Graph Delaunay(int nodes, ulong seed)
    {
        var rng = AgentRandom.ForRun(seed, purpose: 3);
        var points = new Coordinate[nodes];
        var index = new Dictionary<Coordinate, int>(nodes);
        for (var i = 0; i < nodes; i++)
        {
            Coordinate c;
            do
            {
                c = new Coordinate(rng.NextDouble(), rng.NextDouble());
            }
            while (index.ContainsKey(c));
            points[i] = c;
            index[c] = i;
        }

        var builder = new DelaunayTriangulationBuilder();
        builder.SetSites(points);
        var edges = builder.GetEdges(new GeometryFactory());
        var a = new List<int>(3 * nodes);
        var b = new List<int>(3 * nodes);
        foreach (var geometry in edges.Geometries)
        {
            var line = (LineString)geometry;
            a.Add(index[line.GetCoordinateN(0)]);
            b.Add(index[line.GetCoordinateN(1)]);
        }

        return Graph.FromEdges(nodes, a.ToArray(), b.ToArray());
    }

    /// <summary>The 27 published instances that ship in scenarios/agentsnet, found from a folder inside the repository.</summary>
    public static string? FindShippedInstances(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "scenarios", "agentsnet");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool IsConnected(Graph graph)
    {
        if (graph.NodeCount == 0)
        {
            return true;
        }

        var seen = new bool[graph.NodeCount];
        var stack = new Stack<int>();
        stack.Push(0);
        seen[0] = true;
        var reached = 1;
        while (stack.Count > 0)
        {
            foreach (var w in graph.Neighbours(stack.Pop()))
            {
                if (!seen[w])
                {
                    seen[w] = true;
                    reached++;
                    stack.Push(w);
                }
            }
        }

        return reached == graph.NodeCount;
    }
}
