using AgentSwarm.Abstractions;

namespace AgentSwarm.Engine.Topology;

/// <summary>Builds the communication graph of a run, deterministically from the seed.</summary>
public static class TopologyBuilder
{
    public static Graph Build(TopologySpec spec, int nodes, ulong seed)
    {
        var rng = AgentRandom.ForRun(seed, purpose: 1);
        return spec.Kind switch
        {
            TopologyKind.None => Graph.Empty(nodes),
            TopologyKind.Ring => Ring(nodes, spec.Degree == 0 ? 2 : spec.Degree),
            TopologyKind.Grid => Grid(nodes),
            TopologyKind.RandomRegular => RandomRegular(nodes, spec.Degree == 0 ? 4 : spec.Degree, ref rng),
            TopologyKind.WattsStrogatz => WattsStrogatz(nodes, spec.Degree == 0 ? 4 : spec.Degree, spec.Rewire, ref rng),
            TopologyKind.BarabasiAlbert => BarabasiAlbert(nodes, spec.Attach == 0 ? 2 : spec.Attach, ref rng),
            TopologyKind.EdgeList => FromEdgeList(nodes, spec),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "unknown topology"),
        };
    }

    /// <summary>Checks parameters without building; returns a message naming the problem, or null.</summary>
    public static string? Validate(TopologySpec spec, int nodes)
    {
        switch (spec.Kind)
        {
            case TopologyKind.Ring:
            case TopologyKind.WattsStrogatz:
                var k = spec.Degree == 0 ? (spec.Kind == TopologyKind.Ring ? 2 : 4) : spec.Degree;
                if (k < 2 || k % 2 != 0)
                {
                    return $"degree must be an even number >= 2 (got {k})";
                }

                if (k >= nodes)
                {
                    return $"degree {k} needs more than {k} agents (got {nodes})";
                }

                if (spec.Rewire is < 0 or > 1)
                {
                    return $"rewire must be in [0, 1] (got {spec.Rewire})";
                }

                break;
            case TopologyKind.RandomRegular:
                var d = spec.Degree == 0 ? 4 : spec.Degree;
                if (d >= nodes)
                {
                    return $"degree must be in [1, agents - 1] (got {d} for {nodes} agents)";
                }

                if ((long)d * nodes % 2 != 0)
                {
                    return $"degree x agents must be even for a regular graph (got {d} x {nodes})";
                }

                break;
            case TopologyKind.BarabasiAlbert:
                var m = spec.Attach == 0 ? 2 : spec.Attach;
                if (m < 1 || m >= nodes)
                {
                    return $"attach must be in [1, agents - 1] (got {m})";
                }

                break;
            case TopologyKind.EdgeList:
                if (spec.Edges is null)
                {
                    return "an edge list topology needs edges";
                }

                for (var i = 0; i < spec.Edges.Length; i++)
                {
                    if ((uint)spec.Edges[i] >= (uint)nodes)
                    {
                        return $"edge {i / 2 + 1} names agent {spec.Edges[i]}, outside 0..{nodes - 1}";
                    }
                }

                break;
        }

        return null;
    }

    /// <summary>Each node linked to the k/2 nearest on each side.</summary>
    public static Graph Ring(int n, int k)
    {
        var half = k / 2;
        var a = new int[checked(n * half)];
        var b = new int[a.Length];
        var e = 0;
        for (var v = 0; v < n; v++)
        {
            for (var j = 1; j <= half; j++)
            {
                a[e] = v;
                b[e++] = (v + j) % n;
            }
        }

        return Graph.FromEdges(n, a, b);
    }

    /// <summary>A rectangular lattice, ceil(sqrt(n)) wide, four-neighbourhood, no wrap-around.</summary>
    public static Graph Grid(int n)
    {
        var width = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(n)));
        var a = new List<int>(2 * n);
        var b = new List<int>(2 * n);
        for (var v = 0; v < n; v++)
        {
            if ((v % width) + 1 < width && v + 1 < n)
            {
                a.Add(v);
                b.Add(v + 1);
            }

            if (v + width < n)
            {
                a.Add(v);
                b.Add(v + width);
            }
        }

        return Graph.FromEdges(n, CollectionsMarshal(a), CollectionsMarshal(b));
    }

    /// <summary>A uniform-ish d-regular simple graph: random stub pairing, then degree-preserving switches to remove loops and repeats.</summary>
    public static Graph RandomRegular(int n, int d, ref AgentRandom rng)
    {
        var stubs = new int[checked(n * d)];
        for (var i = 0; i < stubs.Length; i++)
        {
            stubs[i] = i / d;
        }

        Shuffle(stubs, ref rng);
        var pairs = stubs.Length / 2;
        var a = new int[pairs];
        var b = new int[pairs];
        var present = new Dictionary<long, int>(pairs, EdgeKeyComparer.Instance);
        for (var i = 0; i < pairs; i++)
        {
            a[i] = stubs[2 * i];
            b[i] = stubs[2 * i + 1];
            var key = Key(a[i], b[i]);
            present[key] = present.GetValueOrDefault(key) + 1;
        }

        bool Bad(int i) => a[i] == b[i] || present[Key(a[i], b[i])] > 1;

        var attempts = 0L;
        var limit = 1000L * pairs + 10_000;
        for (var i = 0; i < pairs; i++)
        {
            while (Bad(i))
            {
                if (++attempts > limit)
                {
                    throw new InvalidOperationException($"could not build a simple {d}-regular graph on {n} nodes");
                }

                var j = rng.NextInt(pairs);
                if (j == i)
                {
                    continue;
                }

                // Switch (a_i, b_i), (a_j, b_j) -> (a_i, a_j), (b_i, b_j) when both new edges are simple and new.
                int na = a[i], nb = a[j], ma = b[i], mb = b[j];
                if (rng.NextInt(2) == 1)
                {
                    (nb, mb) = (mb, nb);
                }

                if (na == nb || ma == mb || present.ContainsKey(Key(na, nb)) || present.ContainsKey(Key(ma, mb)))
                {
                    continue;
                }

                Remove(present, Key(a[i], b[i]));
                Remove(present, Key(a[j], b[j]));
                (a[i], b[i], a[j], b[j]) = (na, nb, ma, mb);
                present[Key(na, nb)] = 1;
                present[Key(ma, mb)] = 1;
            }
        }

        return Graph.FromEdges(n, a, b);
    }

    /// <summary>Watts-Strogatz: a ring lattice of degree k whose edges are rewired with probability p, avoiding loops and repeats.</summary>
    public static Graph WattsStrogatz(int n, int k, double p, ref AgentRandom rng)
    {
        var half = k / 2;
        var count = n * half;
        var a = new int[count];
        var b = new int[count];
        var present = new HashSet<long>(count, EdgeKeyComparer.Instance);
        var e = 0;
        for (var v = 0; v < n; v++)
        {
            for (var j = 1; j <= half; j++)
            {
                a[e] = v;
                b[e] = (v + j) % n;
                present.Add(Key(a[e], b[e]));
                e++;
            }
        }

        // networkx order: for each offset j, for each node u, maybe rewire (u, u + j).
        for (var j = 1; j <= half; j++)
        {
            for (var u = 0; u < n; u++)
            {
                var index = u * half + (j - 1);
                if (rng.NextDouble() >= p)
                {
                    continue;
                }

                for (var tries = 0; tries < 32; tries++)
                {
                    var w = rng.NextInt(n);
                    if (w == u || present.Contains(Key(u, w)))
                    {
                        continue;
                    }

                    present.Remove(Key(a[index], b[index]));
                    b[index] = w;
                    present.Add(Key(u, w));
                    break;
                }
            }
        }

        return Graph.FromEdges(n, a, b);
    }

    /// <summary>Barabasi-Albert preferential attachment: a star on m + 1 nodes, then each new node links to m distinct nodes chosen by degree.</summary>
    public static Graph BarabasiAlbert(int n, int m, ref AgentRandom rng)
    {
        var a = new List<int>(n * m);
        var b = new List<int>(n * m);
        var repeated = new List<int>(2 * n * m);
        var start = Math.Min(n, m + 1);
        for (var v = 1; v < start; v++)
        {
            a.Add(0);
            b.Add(v);
            repeated.Add(0);
            repeated.Add(v);
        }

        var chosen = new HashSet<int>();
        var picks = new int[m];
        for (var v = start; v < n; v++)
        {
            chosen.Clear();
            var count = 0;
            while (count < m)
            {
                var t = repeated[rng.NextInt(repeated.Count)];
                if (chosen.Add(t))
                {
                    picks[count++] = t;
                }
            }

            for (var i = 0; i < m; i++)
            {
                a.Add(v);
                b.Add(picks[i]);
                repeated.Add(v);
                repeated.Add(picks[i]);
            }
        }

        return Graph.FromEdges(n, CollectionsMarshal(a), CollectionsMarshal(b));
    }

    private static Graph FromEdgeList(int n, TopologySpec spec) => Graph.FromFlatEdges(n, spec.Edges ?? []);

    private static void Shuffle(int[] items, ref AgentRandom rng)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static void Remove(Dictionary<long, int> present, long key)
    {
        if (--System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(present, key) == 0)
        {
            present.Remove(key);
        }
    }

    private static long Key(int u, int v) => u < v ? ((long)u << 32) | (uint)v : ((long)v << 32) | (uint)u;

    /// <summary>
    /// long's own hash is hi ^ lo, which for lattice edges (u, u + 1) gives a handful of values: a 100k-node
    /// Watts-Strogatz graph took 12 s to build with it. Mix the bits instead.
    /// </summary>
    private sealed class EdgeKeyComparer : IEqualityComparer<long>
    {
        public static EdgeKeyComparer Instance { get; } = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key)
        {
            var z = (ulong)key * 0x9E3779B97F4A7C15UL;
            return (int)(z >> 32) ^ (int)z;
        }
    }

    private static ReadOnlySpan<int> CollectionsMarshal(List<int> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);
}
