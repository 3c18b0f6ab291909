using System.Runtime.CompilerServices;
using AgentSwarm.Engine;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// Classical swarm rules, the ceiling row: each reads the shared world (a classical controller is given the map; the
/// LLM agents see only their window) and picks a move by a fixed rule.
/// Pursuit: each agent takes one of the prey's four sides (by index) and closes in.
/// Synchronisation: a shared clock, every agent's light on in odd rounds and off in even ones (SWITCH when it differs).
/// Foraging: descend the breadth-first distance to the food, or with food to the nest.
/// Flocking: each agent walks to its assigned cell of the square, placed in the middle of the map.
/// Transport: agents line up behind the box in its four lanes and push it out together, then follow it out.
/// </summary>
public static class SwarmClassical
{
    private static readonly ConditionalWeakTable<byte[], MapFacts> Facts = new();

    /// <summary>The map's facts, built once: thousands of agents ask at once, and only one of them should build them.</summary>
    private static MapFacts FactsOf(SwarmWorld world)
    {
        if (Facts.TryGetValue(world.Cells, out var facts))
        {
            return facts;
        }

        lock (Facts)
        {
            return Facts.GetValue(world.Cells, _ => new MapFacts(world));
        }
    }

    public static SwarmMove Decide(SwarmWorld world, int agent, ref AgentRandom random)
    {
        if (world.Escaped[agent])
        {
            return SwarmMove.Stay;
        }

        var (row, col) = (world.Rows[agent], world.Cols[agent]);
        switch (world.Task)
        {
            case SwarmTask.Pursuit:
            {
                var sides = new[] { (-1, 0), (1, 0), (0, -1), (0, 1) };
                var (di, dj) = sides[agent % 4];
                var (tr, tc) = (world.PreyRow + di, world.PreyCol + dj);
                if (!world.Inside(tr, tc) || world.Cells[(tr * world.Width) + tc] != (byte)'.')
                {
                    // A wall covers that side already: close in on the prey itself.
                    (tr, tc) = (world.PreyRow, world.PreyCol);
                }

                return row == tr && col == tc ? SwarmMove.Stay : Toward(world, row, col, tr, tc, ref random);
            }

            case SwarmTask.Synchronization:
            {
                var wantOn = (world.Round + 1) % 2 == 1;
                return world.Flags[agent] == wantOn ? SwarmMove.Stay : SwarmMove.Switch;
            }

            case SwarmTask.Foraging:
            {
                var facts = FactsOf(world);
                var field = world.Flags[agent] ? facts.ToNest : facts.ToFood;
                return Descend(world, field, row, col, ref random);
            }

            case SwarmTask.Flocking:
            {
                var interior = Math.Min(world.Height, world.Width) - 2;
                var target = FactsOf(world).FlockTarget(world.Agents, interior);
                if (agent >= target.Length)
                {
                    return SwarmMove.Stay;
                }

                var side = Math.Min(SwarmFlock.Side(world.Agents), interior);
                var top = Math.Max(1, (world.Height - side) / 2);
                var left = Math.Max(1, (world.Width - side) / 2);
                var tr = Math.Clamp(top + target[agent].Row, 1, world.Height - 2);
                var tc = Math.Clamp(left + target[agent].Col, 1, world.Width - 2);
                return row == tr && col == tc ? SwarmMove.Stay : Toward(world, row, col, tr, tc, ref random);
            }

            case SwarmTask.Transport:
                return Transport(world, agent, row, col, ref random);

            default:
                return SwarmMove.Stay;
        }
    }

    private static SwarmMove Transport(SwarmWorld world, int agent, int row, int col, ref AgentRandom random)
    {
        var facts = FactsOf(world);
        if (!world.HasBox)
        {
            // The way is open: to the nearest gap cell, then out.
            var (gr, gc) = facts.GapCells.MinBy(g => Math.Abs(g.Row - row) + Math.Abs(g.Col - col));
            return row == gr && col == gc ? facts.Exit : Toward(world, row, col, gr, gc, ref random);
        }

        var plan = PlanOf(world, facts.Exit);
        if (plan.Lanes.Count == 0)
        {
            return RandomMove(world, ref random);
        }

        // Each agent keeps to one lane behind the box's back face and pushes when it is in it (behind its stand cell).
        var (sr, sc) = plan.Lanes[agent % plan.Lanes.Count];
        var (di, dj) = plan.Push.Step();
        var inLane = di != 0 ? col == sc && (row - sr) * di <= 0 : row == sr && (col - sc) * dj <= 0;
        return inLane ? plan.Push : Toward(world, row, col, sr, sc, ref random);
    }

    private static readonly ConditionalWeakTable<SwarmWorld, BoxPlan> Plans = new();

    private static BoxPlan PlanOf(SwarmWorld world, SwarmMove exit)
    {
        if (Plans.TryGetValue(world, out var plan))
        {
            return plan;
        }

        lock (Plans)
        {
            return Plans.GetValue(world, w => new BoxPlan(w, exit));
        }
    }

    /// <summary>
    /// Where the box goes this round: out through the gap if no wall stands in front of it that way, else sideways
    /// (an L's 3 x 3 part must first slide along the wall to line up with the gap); and the cells behind its back face
    /// from which agents push it.
    /// </summary>
    private sealed class BoxPlan
    {
        public BoxPlan(SwarmWorld world, SwarmMove exit)
        {
            var box = world.BoxCells().ToHashSet();
            SwarmMove[] order = exit is SwarmMove.Up or SwarmMove.Down
                ? [exit, SwarmMove.Right, SwarmMove.Left]
                : [exit, SwarmMove.Down, SwarmMove.Up];
            Push = order.FirstOrDefault(d => CanMove(world, box, d), exit);
            var (di, dj) = Push.Step();
            Lanes = [.. box.Where(c => !box.Contains((c.Row - di, c.Col - dj)))
                .Select(c => (c.Row - di, c.Col - dj))
                .Where(s => world.Inside(s.Item1, s.Item2) && world.Cells[(s.Item1 * world.Width) + s.Item2] == (byte)'.')
                .OrderBy(s => s.Item1).ThenBy(s => s.Item2)];
        }

        public SwarmMove Push { get; }

        public List<(int Row, int Col)> Lanes { get; }

        private static bool CanMove(SwarmWorld world, HashSet<(int Row, int Col)> box, SwarmMove direction)
        {
            var (di, dj) = direction.Step();
            foreach (var (r, c) in box)
            {
                var (nr, nc) = (r + di, c + dj);
                if (!box.Contains((nr, nc)) && world.Inside(nr, nc) && world.Cells[(nr * world.Width) + nc] != (byte)'.')
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static bool Free(SwarmWorld world, int row, int col, SwarmMove move)
    {
        var (di, dj) = move.Step();
        return world.Inside(row + di, col + dj) && world.Symbol(row + di, col + dj) == '.';
    }

    /// <summary>A step that shortens the Manhattan distance to the target onto free floor, the longer axis first; else a random move.</summary>
    public static SwarmMove Toward(SwarmWorld world, int row, int col, int tr, int tc, ref AgentRandom random)
    {
        var vertical = tr < row ? SwarmMove.Up : tr > row ? SwarmMove.Down : SwarmMove.Stay;
        var horizontal = tc < col ? SwarmMove.Left : tc > col ? SwarmMove.Right : SwarmMove.Stay;
        var (first, second) = Math.Abs(tr - row) >= Math.Abs(tc - col) ? (vertical, horizontal) : (horizontal, vertical);
        if (first != SwarmMove.Stay && Free(world, row, col, first))
        {
            return first;
        }

        if (second != SwarmMove.Stay && Free(world, row, col, second))
        {
            return second;
        }

        // Blocked: push the way it wants to go half the time, sidestep at random otherwise.
        return random.NextInt(2) == 0 && first != SwarmMove.Stay ? first : RandomMove(world, ref random);
    }

    private static SwarmMove RandomMove(SwarmWorld world, ref AgentRandom random) =>
        (SwarmMove)(1 + random.NextInt(4));

    private static SwarmMove Descend(SwarmWorld world, int[] field, int row, int col, ref AgentRandom random)
    {
        var here = field[(row * world.Width) + col];
        var best = SwarmMove.Stay;
        var bestDistance = here;
        foreach (var move in new[] { SwarmMove.Up, SwarmMove.Down, SwarmMove.Left, SwarmMove.Right })
        {
            var (di, dj) = move.Step();
            var (r, c) = (row + di, col + dj);
            if (!world.Inside(r, c))
            {
                continue;
            }

            var distance = field[(r * world.Width) + c];
            if (distance >= 0 && distance < bestDistance && world.Symbol(r, c) == '.')
            {
                (best, bestDistance) = (move, distance);
            }
        }

        if (best == SwarmMove.Stay && here != 0)
        {
            // The way down is taken this round: wait, or sometimes step aside to untangle a jam.
            return random.NextInt(4) == 0 ? RandomMove(world, ref random) : SwarmMove.Stay;
        }

        return best;
    }

    /// <summary>What the rules need of a map's static layer, computed once per map.</summary>
    private sealed class MapFacts
    {
        private readonly SwarmWorld _world;
        private int[]? _toFood;
        private int[]? _toNest;
        private object? _gate;

        public MapFacts(SwarmWorld world)
        {
            _world = world;
            (Exit, GapCells) = FindGap(world);
        }

        public int[] ToFood => LazyInitializer.EnsureInitialized(ref _toFood, ref _gate, () => Field(_world, 'F'));

        public int[] ToNest => LazyInitializer.EnsureInitialized(ref _toNest, ref _gate, () => Field(_world, 'N'));

        public SwarmMove Exit { get; }

        public List<(int Row, int Col)> GapCells { get; }

        private (int Row, int Col)[]? _flock;

        public (int Row, int Col)[] FlockTarget(int agents, int interior) => _flock ??= SwarmFlock.Target(agents, interior);

        /// <summary>Breadth-first steps over floor to a cell beside the symbol (0 there; -1 unreachable).</summary>
        private static int[] Field(SwarmWorld world, char symbol)
        {
            var (h, w) = (world.Height, world.Width);
            var field = new int[h * w];
            Array.Fill(field, -1);
            var queue = new Queue<int>();
            for (var r = 0; r < h; r++)
            {
                for (var c = 0; c < w; c++)
                {
                    if (world.Cells[(r * w) + c] != (byte)'.')
                    {
                        continue;
                    }

                    foreach (var (di, dj) in new[] { (0, 1), (0, -1), (1, 0), (-1, 0) })
                    {
                        if (world.Inside(r + di, c + dj) && world.Cells[((r + di) * w) + c + dj] == (byte)symbol)
                        {
                            field[(r * w) + c] = 0;
                            queue.Enqueue((r * w) + c);
                            break;
                        }
                    }
                }
            }

            while (queue.Count > 0)
            {
                var cell = queue.Dequeue();
                var (r, c) = (cell / w, cell % w);
                foreach (var (di, dj) in new[] { (0, 1), (0, -1), (1, 0), (-1, 0) })
                {
                    var (nr, nc) = (r + di, c + dj);
                    if (world.Inside(nr, nc) && world.Cells[(nr * w) + nc] == (byte)'.' && field[(nr * w) + nc] < 0)
                    {
                        field[(nr * w) + nc] = field[cell] + 1;
                        queue.Enqueue((nr * w) + nc);
                    }
                }
            }

            return field;
        }

        private static (SwarmMove, List<(int Row, int Col)>) FindGap(SwarmWorld world)
        {
            var (h, w) = (world.Height, world.Width);
            var gap = new List<(int Row, int Col)>();
            var exit = SwarmMove.Stay;
            for (var r = 0; r < h; r++)
            {
                for (var c = 0; c < w; c++)
                {
                    if ((r == 0 || c == 0 || r == h - 1 || c == w - 1) && world.Cells[(r * w) + c] == (byte)'.')
                    {
                        gap.Add((r, c));
                    }
                }
            }

            // The gap runs along one wall; a corner cell belongs to two walls, so decide by the cells that do not.
            if (gap.Count > 0)
            {
                exit = gap.All(g => g.Row == 0) ? SwarmMove.Up
                    : gap.All(g => g.Row == h - 1) ? SwarmMove.Down
                    : gap.All(g => g.Col == 0) ? SwarmMove.Left
                    : SwarmMove.Right;
            }

            return (exit, gap);
        }
    }
}
