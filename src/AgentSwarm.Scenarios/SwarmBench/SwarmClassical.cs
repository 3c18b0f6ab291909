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
                var facts = Facts.GetValue(world.Cells, _ => new MapFacts(world));
                var field = world.Flags[agent] ? facts.ToNest : facts.ToFood;
                return Descend(world, field, row, col, ref random);
            }

            case SwarmTask.Flocking:
            {
                var interior = Math.Min(world.Height, world.Width) - 2;
                var target = Facts.GetValue(world.Cells, _ => new MapFacts(world)).FlockTarget(world.Agents, interior);
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
        var facts = Facts.GetValue(world.Cells, _ => new MapFacts(world));
        var exit = facts.Exit;
        var vertical = exit is SwarmMove.Up or SwarmMove.Down;
        var (gapFrom, _) = facts.Gap;

        // The lane (column for a vertical exit, row otherwise) this agent keeps to: one of the gap's four.
        var lane = gapFrom + (agent % SwarmRules.BoxSize);
        var across = vertical ? col : row;
        var along = vertical ? row : col;
        var (backOff, toLane) = vertical
            ? (exit == SwarmMove.Up ? SwarmMove.Down : SwarmMove.Up, across < lane ? SwarmMove.Right : SwarmMove.Left)
            : (exit == SwarmMove.Left ? SwarmMove.Right : SwarmMove.Left, across < lane ? SwarmMove.Down : SwarmMove.Up);
        if (across != lane)
        {
            // Beside the box, step back first so the sideways move does not run into it.
            if (world.HasBox)
            {
                var boxAlongFrom = vertical ? world.BoxRow : world.BoxCol;
                if (along >= boxAlongFrom - 1 && along <= boxAlongFrom + SwarmRules.BoxSize)
                {
                    return Free(world, row, col, backOff) ? backOff : toLane;
                }
            }

            return Free(world, row, col, toLane) ? toLane : (Free(world, row, col, backOff) ? backOff : RandomMove(world, ref random));
        }

        // In the lane: push toward the exit, the box and the agents ahead included.
        return exit;
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
        public MapFacts(SwarmWorld world)
        {
            ToFood = Field(world, 'F');
            ToNest = Field(world, 'N');
            (Exit, Gap) = FindGap(world);
        }

        public int[] ToFood { get; }

        public int[] ToNest { get; }

        public SwarmMove Exit { get; }

        public (int From, int To) Gap { get; }

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

        private static (SwarmMove, (int, int)) FindGap(SwarmWorld world)
        {
            var (h, w) = (world.Height, world.Width);
            bool Open(int r, int c) => world.Cells[(r * w) + c] == (byte)'.';
            for (var c = 0; c < w; c++)
            {
                if (Open(0, c))
                {
                    return (SwarmMove.Up, (c, c + SwarmRules.BoxSize));
                }

                if (Open(h - 1, c))
                {
                    return (SwarmMove.Down, (c, c + SwarmRules.BoxSize));
                }
            }

            for (var r = 0; r < h; r++)
            {
                if (Open(r, 0))
                {
                    return (SwarmMove.Left, (r, r + SwarmRules.BoxSize));
                }

                if (Open(r, w - 1))
                {
                    return (SwarmMove.Right, (r, r + SwarmRules.BoxSize));
                }
            }

            return (SwarmMove.Stay, (0, 0));
        }
    }
}
