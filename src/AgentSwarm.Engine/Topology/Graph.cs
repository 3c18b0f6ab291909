namespace AgentSwarm.Engine.Topology;

/// <summary>An undirected graph in compressed sparse rows: neighbours of v are Targets[Offsets[v]..Offsets[v+1]], sorted.</summary>
public sealed class Graph
{
    public Graph(int nodeCount, int[] offsets, int[] targets)
    {
        if (offsets.Length != nodeCount + 1)
        {
            throw new ArgumentException("offsets must have one entry per node plus one", nameof(offsets));
        }

        NodeCount = nodeCount;
        Offsets = offsets;
        Targets = targets;
    }

    public int NodeCount { get; }

    public int[] Offsets { get; }

    public int[] Targets { get; }

    /// <summary>Undirected edges (each counted once).</summary>
    public long EdgeCount => Targets.Length / 2;

    public ReadOnlySpan<int> Neighbours(int node) => Targets.AsSpan(Offsets[node], Offsets[node + 1] - Offsets[node]);

    public int Degree(int node) => Offsets[node + 1] - Offsets[node];

    public int MaxDegree()
    {
        var max = 0;
        for (var v = 0; v < NodeCount; v++)
        {
            max = Math.Max(max, Degree(v));
        }

        return max;
    }

    public static Graph Empty(int nodeCount) => new(nodeCount, new int[nodeCount + 1], []);

    /// <summary>Builds from edges flattened as [a0, b0, a1, b1, ...]; drops self-loops and repeated edges.</summary>
    public static Graph FromFlatEdges(int nodeCount, ReadOnlySpan<int> flat)
    {
        var a = new int[flat.Length / 2];
        var b = new int[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = flat[2 * i];
            b[i] = flat[2 * i + 1];
        }

        return FromEdges(nodeCount, a, b);
    }

    /// <summary>Builds from undirected edge pairs; drops self-loops and repeated edges.</summary>
    public static Graph FromEdges(int nodeCount, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("edge endpoint arrays differ in length");
        }

        var degree = new int[nodeCount + 1];
        for (var i = 0; i < a.Length; i++)
        {
            if ((uint)a[i] >= (uint)nodeCount || (uint)b[i] >= (uint)nodeCount)
            {
                throw new ArgumentOutOfRangeException(nameof(a), $"edge {i} ({a[i]}, {b[i]}) names a node outside 0..{nodeCount - 1}");
            }

            if (a[i] != b[i])
            {
                degree[a[i]]++;
                degree[b[i]]++;
            }
        }

        var offsets = new int[nodeCount + 1];
        for (var v = 0; v < nodeCount; v++)
        {
            offsets[v + 1] = checked(offsets[v] + degree[v]);
        }

        var fill = new int[nodeCount];
        Array.Copy(offsets, fill, nodeCount);
        var targets = new int[offsets[nodeCount]];
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                targets[fill[a[i]]++] = b[i];
                targets[fill[b[i]]++] = a[i];
            }
        }

        // Sort each row and squeeze out repeated edges in place.
        var write = 0;
        var newOffsets = new int[nodeCount + 1];
        for (var v = 0; v < nodeCount; v++)
        {
            var row = targets.AsSpan(offsets[v], offsets[v + 1] - offsets[v]);
            row.Sort();
            newOffsets[v] = write;
            for (var j = 0; j < row.Length; j++)
            {
                if (j == 0 || row[j] != row[j - 1])
                {
                    targets[write++] = row[j];
                }
            }
        }

        newOffsets[nodeCount] = write;
        if (write != targets.Length)
        {
            Array.Resize(ref targets, write);
        }

        return new Graph(nodeCount, newOffsets, targets);
    }

    public bool HasEdge(int u, int v) => Neighbours(u).BinarySearch(v) >= 0;

    /// <summary>Each undirected edge once, as (smaller, larger), in node order.</summary>
    public IEnumerable<(int U, int V)> Edges()
    {
        for (var v = 0; v < NodeCount; v++)
        {
            for (var i = Offsets[v]; i < Offsets[v + 1]; i++)
            {
                if (Targets[i] > v)
                {
                    yield return (v, Targets[i]);
                }
            }
        }
    }
}
