namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// Flocking's distance: the earth mover's distance, with Manhattan cost, between the agents' cells and the target
/// shape (a hollow square of side floor(N / 4) + 1), minimised over translations of the shape. The reference tries
/// every translation that puts some target cell on some agent and solves an assignment for each; that is exact, and
/// done here the same way up to <see cref="ExactUpTo"/> agents. Larger swarms (the reference never ran them) search
/// translations locally: start from the one that lines up the medians, and move one cell at a time while the exact
/// assignment cost falls (up to <see cref="AssignmentUpTo"/> agents). Beyond that, the assignment itself would cost
/// minutes a round, so the distance is the cost of matching agents and target cells in the same row-major order: an
/// upper bound on the distance, which the trace marks (<see cref="Method"/>).
/// </summary>
public static class SwarmFlock
{
    public const int ExactUpTo = 24;
    public const int AssignmentUpTo = 200;

    public static string Method(int agents) => agents <= ExactUpTo ? "exact" : agents <= AssignmentUpTo ? "local-translation-search" : "row-major-matching-bound";

    /// <summary>The hollow square's side for a swarm.</summary>
    public static int Side(int agents) => (agents / 4) + 1;

    /// <summary>
    /// The target cells, relative to the shape's top-left corner, row-major. The reference's hollow square when it fits
    /// the map's interior (side <paramref name="interior"/>); a larger swarm's square would not, so the shape grows
    /// inward instead: nested square rings from the largest that fits, as many cells as there are agents.
    /// </summary>
    public static (int Row, int Col)[] Target(int agents, int interior = int.MaxValue)
    {
        var side = Side(agents);
        if (side <= interior)
        {
            return Ring(side, 0);
        }

        var cells = new List<(int, int)>();
        for (var ring = 0; cells.Count < agents && interior - (2 * ring) > 0; ring++)
        {
            cells.AddRange(Ring(interior - (2 * ring), ring));
        }

        return [.. cells.Take(agents).OrderBy(c => c.Item1).ThenBy(c => c.Item2)];
    }

    /// <summary>The outline of a square of the given side, offset by <paramref name="inset"/> cells down and right.</summary>
    private static (int Row, int Col)[] Ring(int side, int inset)
    {
        var cells = new List<(int, int)>();
        for (var i = 0; i < side; i++)
        {
            for (var j = 0; j < side; j++)
            {
                if (i == 0 || j == 0 || i == side - 1 || j == side - 1)
                {
                    cells.Add((i + inset, j + inset));
                }
            }
        }

        return [.. cells];
    }

    public static long Distance(int[] rows, int[] cols, int agents, int interior = int.MaxValue)
    {
        if (agents == 0)
        {
            return 0;
        }

        var target = Target(agents, interior);
        var source = new (int Row, int Col)[agents];
        for (var a = 0; a < agents; a++)
        {
            source[a] = (rows[a], cols[a]);
        }

        if (agents <= ExactUpTo)
        {
            var best = long.MaxValue;
            var tried = new HashSet<(int, int)>();
            foreach (var s in source)
            {
                foreach (var t in target)
                {
                    if (tried.Add((s.Row - t.Row, s.Col - t.Col)))
                    {
                        best = Math.Min(best, Cost(source, target, s.Row - t.Row, s.Col - t.Col));
                    }
                }
            }

            return best;
        }

        if (agents <= AssignmentUpTo)
        {
            var dy = Median(source.Select(s => s.Row)) - Median(target.Select(t => t.Row));
            var dx = Median(source.Select(s => s.Col)) - Median(target.Select(t => t.Col));
            var best = Cost(source, target, dy, dx);
            var improved = true;
            while (improved)
            {
                improved = false;
                foreach (var (sy, sx) in new[] { (-1, 0), (1, 0), (0, -1), (0, 1) })
                {
                    var cost = Cost(source, target, dy + sy, dx + sx);
                    if (cost < best)
                    {
                        (best, dy, dx, improved) = (cost, dy + sy, dx + sx, true);
                        break;
                    }
                }
            }

            return best;
        }

        {
            // Row-major order on both sides, the square placed where the medians meet.
            var dy = Median(source.Select(s => s.Row)) - Median(target.Select(t => t.Row));
            var dx = Median(source.Select(s => s.Col)) - Median(target.Select(t => t.Col));
            var ordered = source.OrderBy(s => s.Row).ThenBy(s => s.Col).ToArray();
            long total = 0;
            for (var k = 0; k < Math.Min(ordered.Length, target.Length); k++)
            {
                total += Math.Abs(ordered[k].Row - target[k].Row - dy) + Math.Abs(ordered[k].Col - target[k].Col - dx);
            }

            return total;
        }
    }

    /// <summary>The least total Manhattan distance matching min(agents, targets) pairs, the shape moved by (dy, dx).</summary>
    private static long Cost((int Row, int Col)[] source, (int Row, int Col)[] target, int dy, int dx)
    {
        // Pad to a square with free dummy cells, as a rectangular assignment leaves the surplus unmatched.
        var n = Math.Max(source.Length, target.Length);
        return Assignment.MinimumCost(n, (i, j) => i < source.Length && j < target.Length
            ? Math.Abs(source[i].Row - target[j].Row - dy) + Math.Abs(source[i].Col - target[j].Col - dx)
            : 0);
    }

    private static int Median(IEnumerable<int> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
