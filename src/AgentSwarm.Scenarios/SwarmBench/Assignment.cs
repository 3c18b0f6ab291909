namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// The minimum-cost perfect matching of a square cost matrix (the assignment problem), by the shortest augmenting
/// path method with row and column potentials: O(n^3) time, O(n) memory beyond the costs, exact for integer costs.
/// </summary>
public static class Assignment
{
    /// <summary>The least total cost of matching every row to a distinct column; <paramref name="cost"/>(row, column) gives a cost.</summary>
    public static long MinimumCost(int n, Func<int, int, int> cost)
    {
        if (n == 0)
        {
            return 0;
        }

        // 1-based arrays with a virtual column 0, as the classic formulation has it.
        var u = new long[n + 1];
        var v = new long[n + 1];
        var rowOfColumn = new int[n + 1];
        var way = new int[n + 1];
        var minimum = new long[n + 1];
        var used = new bool[n + 1];
        for (var row = 1; row <= n; row++)
        {
            rowOfColumn[0] = row;
            var column = 0;
            Array.Fill(minimum, long.MaxValue);
            Array.Clear(used);
            do
            {
                used[column] = true;
                var r = rowOfColumn[column];
                var delta = long.MaxValue;
                var next = 0;
                for (var c = 1; c <= n; c++)
                {
                    if (used[c])
                    {
                        continue;
                    }

                    var reduced = cost(r - 1, c - 1) - u[r] - v[c];
                    if (reduced < minimum[c])
                    {
                        minimum[c] = reduced;
                        way[c] = column;
                    }

                    if (minimum[c] < delta)
                    {
                        delta = minimum[c];
                        next = c;
                    }
                }

                for (var c = 0; c <= n; c++)
                {
                    if (used[c])
                    {
                        u[rowOfColumn[c]] += delta;
                        v[c] -= delta;
                    }
                    else
                    {
                        minimum[c] -= delta;
                    }
                }

                column = next;
            }
            while (rowOfColumn[column] != 0);

            do
            {
                var previous = way[column];
                rowOfColumn[column] = rowOfColumn[previous];
                column = previous;
            }
            while (column != 0);
        }

        long total = 0;
        for (var c = 1; c <= n; c++)
        {
            total += cost(rowOfColumn[c] - 1, c - 1);
        }

        return total;
    }
}
