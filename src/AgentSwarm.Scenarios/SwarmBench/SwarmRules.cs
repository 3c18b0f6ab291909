using System.Globalization;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// SwarmBench's maps and round rules, after the reference environment (its levels, physics and scoring), for any grid
/// and swarm size. Maps are drawn with the reference's random stream (<see cref="PythonRandom"/>) in the reference's
/// order, so a seed gives the reference's initial world.
/// </summary>
public static class SwarmRules
{
    public const int BoxSize = 4;

    /// <summary>The seed every flocking map is drawn with, whatever the run's seed (the reference's quirk).</summary>
    public const ulong FlockingSeed = 42;

    /// <summary>
    /// The reference's eight transport boxes: an L of 13 cells whose 4-cell arm plugs a 4-cell gap in the border wall
    /// at a corner of the map, the 3 x 3 part inside. Positions count from the bottom or right edge where negative.
    /// </summary>
    public static IReadOnlyList<BoxVariant> BoxVariants { get; } =
    [
        new(["BBB..", "BBB..", "BBB..", ".BBBB"], -4, -5, GapSide.Bottom, false),
        new(["..BBB", "..BBB", "..BBB", "BBBB."], -4, 0, GapSide.Bottom, true),
        new(["...B", "...B", "BBBB", "BBBB", "BBB."], 0, -4, GapSide.Right, true),
        new(["BBB.", "BBBB", "BBBB", "...B", "...B"], -5, -4, GapSide.Right, false),
        new(["B...", "B...", "BBBB", "BBBB", ".BBB"], 0, 0, GapSide.Left, true),
        new([".BBB", "BBBB", "BBBB", "B...", "B..."], -5, 0, GapSide.Left, false),
        new(["BBBB.", "..BBB", "..BBB", "..BBB"], 0, 0, GapSide.Top, true),
        new([".BBBB", "BBB..", "BBB..", "BBB.."], 0, -5, GapSide.Top, false),
    ];
    public const int BoxMass = 5;

    /// <summary>Free cells of the task's map where its agents are placed (the map drawn for <paramref name="seed"/>).</summary>
    public static int Capacity(SwarmTask task, int height, int width, ulong seed)
    {
        var map = Create(task, height, width, 1, 0, 1, seed);
        var (rows, cols) = task == SwarmTask.Pursuit ? (Math.Max(height / 2, 5), Math.Max(width / 2, 5)) : (height - 2, width - 2);
        var free = 0;
        for (var i = 1; i <= rows; i++)
        {
            for (var j = 1; j <= cols; j++)
            {
                free += map.Symbol(i, j) == '.' ? 1 : 0;
            }
        }

        return free;
    }

    /// <summary>Problems with a world's size for a swarm, or null.</summary>
    public static string? Check(SwarmTask task, int height, int width, int agents, int view, ulong seed)
    {
        if (height < 6 || width < 6)
        {
            return $"swarmbench: the grid must be at least 6 x 6 (got {height} x {width})";
        }

        if ((long)height * width > MaxCells)
        {
            return string.Create(CultureInfo.InvariantCulture, $"swarmbench: a {height:N0} x {width:N0} grid has more than the {MaxCells:N0} cells one run can hold (4,000 x 4,000; at the paper's density that is {MaxAgents:N0} agents){(agents > MaxAgents ? $": {agents:N0} agents are too many, give at most {MaxAgents:N0}" : ": give a smaller grid")}");
        }

        if (task == SwarmTask.Pursuit && (height < 7 || width < 7))
        {
            return $"swarmbench: pursuit needs a grid of at least 7 x 7 (got {height} x {width})";
        }

        if (view < 1 || view % 2 == 0)
        {
            return $"swarmbench: the view must be an odd number of cells (got {view})";
        }

        var capacity = Capacity(task, height, width, seed);
        return agents > capacity
            ? $"swarmbench: {agents} agents do not fit a {height} x {width} {task.Name()} map (room for {capacity}); give a larger grid"
            : null;
    }

    /// <summary>
    /// Most cells a map may have: the world's arrays, each agent's view and the trace grow with it, and a 10,000 x
    /// 10,000 map (10M agents at the paper's density) runs out of memory on a 24 GiB machine (1M agents on 3,163 x
    /// 3,163 take 1.4 GB).
    /// </summary>
    public const long MaxCells = 16_000_000;

    /// <summary>The most agents the paper's density fits in <see cref="MaxCells"/>.</summary>
    public const int MaxAgents = 1_600_000;

    /// <summary>The grid side that keeps the paper's density (10 agents on 10 x 10) for a swarm: 10 x sqrt(agents / 10), at least 10.</summary>
    public static int SideFor(int agents) => Math.Max(10, (int)Math.Ceiling(10 * Math.Sqrt(agents / 10.0)));

    /// <summary>The initial world of a task: the map, the prey or box, the agents spread at random, the lights.</summary>
    public static SwarmWorld Create(SwarmTask task, int height, int width, int view, int agents, int maxRounds, ulong seed)
    {
        // The reference's flocking task builds its random stream without the seed, so its layout is always seed 42's.
        var rng = new PythonRandom(task == SwarmTask.Flocking ? FlockingSeed : seed);
        var cells = new byte[height * width];
        Array.Fill(cells, (byte)'.');
        for (var i = 0; i < height; i++)
        {
            for (var j = 0; j < width; j++)
            {
                if (i == 0 || j == 0 || i == height - 1 || j == width - 1)
                {
                    cells[(i * width) + j] = (byte)'W';
                }
            }
        }

        var rows = new int[agents];
        var cols = new int[agents];
        var flags = new bool[agents];
        Array.Fill(flags, true);
        int preyRow = -1, preyCol = -1;
        int boxRow = SwarmWorld.NoBox, boxCol = 0, boxHeight = 0, boxWidth = 0;
        bool[]? boxMask = null;
        var blocked = new HashSet<int>();
        switch (task)
        {
            case SwarmTask.Transport:
            {
                var variant = rng.Choice(BoxVariants);
                boxMask = variant.Mask();
                (boxHeight, boxWidth) = (variant.Shape.Length, variant.Shape[0].Length);
                (boxRow, boxCol) = variant.Position(height, width);
                foreach (var (r, c) in variant.Gap(height, width))
                {
                    cells[(r * width) + c] = (byte)'.';
                }

                for (var r = 0; r < boxHeight; r++)
                {
                    for (var c = 0; c < boxWidth; c++)
                    {
                        if (boxMask[(r * boxWidth) + c])
                        {
                            blocked.Add(((boxRow + r) * width) + boxCol + c);
                        }
                    }
                }

                Spread(rng, cells, width, blocked, 1, width - 2, 1, height - 2, rows, cols);
                break;
            }

            case SwarmTask.Pursuit:
                preyRow = rng.RandInt((height / 2) + 1, height - 2);
                preyCol = rng.RandInt((width / 2) + 1, width - 2);
                blocked.Add((preyRow * width) + preyCol);
                Spread(rng, cells, width, blocked, 1, Math.Max(height / 2, 5), 1, Math.Max(width / 2, 5), rows, cols);
                break;

            case SwarmTask.Synchronization:
                for (var a = 0; a < agents; a++)
                {
                    flags[a] = rng.RandInt(0, 1) == 1;
                }

                Spread(rng, cells, width, blocked, 1, width - 2, 1, height - 2, rows, cols);
                break;

            case SwarmTask.Foraging:
                // The reference's maze on its 10 x 10 map; a larger map is tiled with such mazes, each with its own food and
                // nest (one long maze would put the nest thousands of steps from the food), drawn tile by tile, row-major.
                var down = Math.Max(1, height / 10);
                var across = Math.Max(1, width / 10);
                for (var ti = 0; ti < down; ti++)
                {
                    for (var tj = 0; tj < across; tj++)
                    {
                        var (top, bottom) = (ti * height / down, (ti + 1) * height / down);
                        var (left, right) = (tj * width / across, (tj + 1) * width / across);
                        Maze(rng, cells, width, top, left, bottom - top, right - left);
                    }
                }

                Array.Fill(flags, false);
                Spread(rng, cells, width, blocked, 1, width - 2, 1, height - 2, rows, cols);
                break;

            default:
                Spread(rng, cells, width, blocked, 1, width - 2, 1, height - 2, rows, cols);
                break;
        }

        var visited = new ulong[((height * width) + 63) / 64];
        var explored = Visit(visited, rows, cols, new bool[agents], height, width);
        var world = new SwarmWorld(
            task, height, width, view, maxRounds, cells, rows, cols, flags, new bool[agents], preyRow, preyCol, false,
            boxRow, boxCol, boxHeight, boxWidth, BoxMass, rng.Save(), 0, -1, 0, 0, visited, explored, 0, 0, boxMask, []);
        if (task == SwarmTask.Flocking)
        {
            var distance = SwarmFlock.Distance(rows, cols, agents, Math.Min(height, width) - 2);
            world = world with { FlockInitial = distance, FlockCurrent = distance };
        }

        return world;
    }

    /// <summary>The world after a round: the moves resolved, then the task's rules (scoring, prey, lights, food, exits).</summary>
    public static SwarmWorld Step(SwarmWorld before, ReadOnlySpan<SwarmMove> actions)
    {
        var n = before.Agents;
        if (actions.Length != n)
        {
            throw new ArgumentException($"{actions.Length} actions for {n} agents", nameof(actions));
        }

        var rows = (int[])before.Rows.Clone();
        var cols = (int[])before.Cols.Clone();
        var flags = (bool[])before.Flags.Clone();
        var escaped = (bool[])before.Escaped.Clone();
        var physics = new SwarmPhysics(before.Height, before.Width, before.Cells, n);
        physics.Rows = rows;
        physics.Cols = cols;
        physics.Escaped = before.Escaped;
        physics.PreyRow = before.PreyRow;
        physics.PreyCol = before.PreyCol;
        physics.PreyStatic = before.PreyStatic;
        physics.BoxRow = before.BoxRow;
        physics.BoxCol = before.BoxCol;
        physics.BoxHeight = before.BoxHeight;
        physics.BoxWidth = before.BoxWidth;
        physics.BoxMass = before.BoxMass;
        physics.BoxMask = before.BoxMask;
        physics.Resolve(actions);

        // A box wholly outside the map is gone.
        var boxRow = physics.BoxRow;
        if (boxRow != SwarmWorld.NoBox && (before with { BoxRow = boxRow, BoxCol = physics.BoxCol }).BoxCells().All(c => !before.Inside(c.Row, c.Col)))
        {
            boxRow = SwarmWorld.NoBox;
        }

        var after = before with
        {
            Rows = rows,
            Cols = cols,
            Flags = flags,
            Escaped = escaped,
            PreyRow = physics.PreyRow,
            PreyCol = physics.PreyCol,
            BoxRow = boxRow,
            BoxCol = physics.BoxCol,
            Round = before.Round + 1,
            Events = 0,
        };

        switch (before.Task)
        {
            case SwarmTask.Transport:
            {
                var exits = 0;
                var score = before.Score;
                for (var a = 0; a < n; a++)
                {
                    if (!escaped[a] && !before.Inside(rows[a], cols[a]))
                    {
                        escaped[a] = true;
                        exits++;
                        score += (before.MaxRounds - before.Round) / (double)before.MaxRounds;
                    }
                }

                after = after with { Score = score, Events = exits };
                break;
            }

            case SwarmTask.Flocking:
            {
                var distance = SwarmFlock.Distance(rows, cols, n, Math.Min(before.Height, before.Width) - 2);
                after = after with { FlockCurrent = distance, Score = Math.Max(before.Score, before.FlockInitial - distance) };
                break;
            }

            case SwarmTask.Synchronization:
            {
                var on = 0;
                for (var a = 0; a < n; a++)
                {
                    if (actions[a] == SwarmMove.Switch)
                    {
                        flags[a] = !flags[a];
                    }

                    on += flags[a] ? 1 : 0;
                }

                if ((on == n || on == 0) && on != before.SyncPrevious)
                {
                    after = after with { Score = before.Score + 1, SyncPrevious = on, Events = 1 };
                }

                break;
            }

            case SwarmTask.Foraging:
            {
                var delivered = 0;
                for (var a = 0; a < n; a++)
                {
                    if (Near(before, rows[a], cols[a], 'F'))
                    {
                        flags[a] = true;
                    }

                    if (Near(before, rows[a], cols[a], 'N'))
                    {
                        delivered += flags[a] ? 1 : 0;
                        flags[a] = false;
                    }
                }

                after = after with { Score = before.Score + delivered, Events = delivered };
                break;
            }

            case SwarmTask.Pursuit:
                after = Pursue(after);
                break;
        }

        var visited = (ulong[])before.Visited.Clone();
        var explored = before.Explored + Visit(visited, rows, cols, escaped, before.Height, before.Width);

        // Agents that left the map stand where they left it; the reference's exploration counts those cells too.
        var offMap = before.OffMap ?? [];
        for (var a = 0; a < n; a++)
        {
            if (escaped[a] && !before.Escaped[a])
            {
                var key = ((long)rows[a] << 32) | (uint)cols[a];
                var at = Array.BinarySearch(offMap, key);
                if (at < 0)
                {
                    offMap = [.. offMap[..~at], key, .. offMap[~at..]];
                    explored++;
                }
            }
        }

        return after with { Visited = visited, Explored = explored, OffMap = offMap };
    }

    public enum GapSide
    {
        Top,
        Bottom,
        Left,
        Right,
    }

    /// <summary>One of the reference's transport boxes: its shape, where it stands, and the gap its arm plugs.</summary>
    /// <param name="Low">The gap is at the start of its wall (rows or columns 0..3) rather than the end.</param>
    public sealed record BoxVariant(string[] Shape, int Row, int Col, GapSide Side, bool Low)
    {
        public bool[] Mask() => [.. Shape.SelectMany(line => line.Select(ch => ch == 'B'))];

        public (int Row, int Col) Position(int height, int width) => (Row < 0 ? height + Row : Row, Col < 0 ? width + Col : Col);

        public IEnumerable<(int Row, int Col)> Gap(int height, int width)
        {
            for (var k = 0; k < BoxSize; k++)
            {
                var along = Low ? k : (Side is GapSide.Top or GapSide.Bottom ? width : height) - BoxSize + k;
                yield return Side switch
                {
                    GapSide.Top => (0, along),
                    GapSide.Bottom => (height - 1, along),
                    GapSide.Left => (along, 0),
                    _ => (along, width - 1),
                };
            }
        }

        /// <summary>The way out through the gap.</summary>
        public SwarmMove Exit => Side switch
        {
            GapSide.Top => SwarmMove.Up,
            GapSide.Bottom => SwarmMove.Down,
            GapSide.Left => SwarmMove.Left,
            _ => SwarmMove.Right,
        };
    }

    /// <summary>Whether the episode is over: every agent out (transport) or the flock formed; the round limit aside.</summary>
    public static bool IsDone(SwarmWorld world) => world.Task switch
    {
        SwarmTask.Transport => world.Escaped.All(e => e),
        SwarmTask.Flocking => world.FlockCurrent == 0,
        _ => false,
    };

    private static bool Near(SwarmWorld world, int row, int col, char symbol)
    {
        foreach (var (di, dj) in new[] { (0, 1), (0, -1), (1, 0), (-1, 0) })
        {
            var (r, c) = (row + di, col + dj);
            if (world.Inside(r, c) && world.Cells[(r * world.Width) + c] == (byte)symbol)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The prey's turn: caught when its four neighbours are all occupied (anything but empty floor), which scores and
    /// respawns it, static, on the least dangerous of H x W sampled free cells; otherwise it takes the two steps to
    /// the least dangerous cell it can reach, if that is safer than where it compares from (the reference compares
    /// from the cell left of the prey).
    /// </summary>
    private static SwarmWorld Pursue(SwarmWorld world)
    {
        var (i, j) = (world.PreyRow, world.PreyCol);
        var occupied = 0;
        foreach (var (di, dj) in new[] { (1, 0), (-1, 0), (0, 1), (0, -1) })
        {
            if (world.Inside(i + di, j + dj))
            {
                occupied += world.Symbol(i + di, j + dj) != '.' ? 1 : 0;
            }
        }

        if (occupied == 4)
        {
            var rng = PythonRandom.Restore(world.Rng);
            var free = world with { PreyRow = -1, PreyCol = -1 };
            var best = 1e6;
            var (bi, bj) = (-1, -1);
            var samples = 0;
            while (samples < world.Height * world.Width)
            {
                var r = rng.RandInt(1, world.Height - 2);
                var c = rng.RandInt(1, world.Width - 2);
                if (free.Symbol(r, c) != '.')
                {
                    continue;
                }

                samples++;
                var danger = Danger(free, r, c);
                if (danger < best)
                {
                    best = danger;
                    (bi, bj) = (r, c);
                }
            }

            return world with { PreyRow = bi, PreyCol = bj, PreyStatic = true, Rng = rng.Save(), Score = world.Score + 1, Events = 1 };
        }

        var steps = new[] { (0, 1), (0, -1), (1, 0), (-1, 0) };
        var least = Danger(world, i, j - 1);
        (int, int, int, int) target = (0, 0, 0, 0);
        foreach (var (di1, dj1) in steps)
        {
            foreach (var (di2, dj2) in steps)
            {
                var (di, dj) = (di1 + di2, dj1 + dj2);
                if (!Free(world, i + di, j + dj) || !Free(world, i + di1, j + dj1) || !Free(world, i + di2, j + dj2))
                {
                    continue;
                }

                var danger = Danger(world, i + di, j + dj);
                if (danger < least)
                {
                    least = danger;
                    target = (di1, dj1, di2, dj2);
                }
            }
        }

        return target == (0, 0, 0, 0)
            ? world
            : world with { PreyRow = i + target.Item1 + target.Item3, PreyCol = j + target.Item2 + target.Item4 };
    }

    private static bool Free(SwarmWorld world, int row, int col) => world.Inside(row, col) && world.Symbol(row, col) == '.';

    /// <summary>The prey's danger at a cell: agents plus 0.9 x walls in rows i-4..i+3 and columns j-4..j+3 (clipped to the map).</summary>
    public static double Danger(SwarmWorld world, int i, int j)
    {
        var agents = 0;
        var walls = 0;
        var r1 = Math.Min(i + 4, world.Height);
        var c1 = Math.Min(j + 4, world.Width);
        for (var r = Math.Max(i - 4, 0); r < r1; r++)
        {
            for (var c = Math.Max(j - 4, 0); c < c1; c++)
            {
                var symbol = world.Symbol(r, c);
                agents += symbol == 'A' ? 1 : 0;
                walls += symbol == 'W' ? 1 : 0;
            }
        }

        return agents + (walls * 0.9);
    }

    /// <summary>The foraging maze: food and nest (2 x 2) in opposite corners, and walls every 4 rows (or columns) leaving a gap at alternate ends.</summary>
    private static void Maze(PythonRandom rng, byte[] cells, int mapWidth, int top, int left, int height, int width)
    {
        var foodI = rng.Choice(new[] { 1, height - 3 });
        var foodJ = rng.Choice(new[] { 1, width - 3 });
        var nestI = foodI == 1 ? height - 3 : 1;
        var nestJ = foodJ == 1 ? width - 3 : 1;
        if (rng.RandInt(0, 1) == 0)
        {
            var walls = Every(4, height - 4);
            if (walls.Count % 2 == 1)
            {
                nestJ = 1;
                foodJ = 1;
            }

            for (var n = 0; n < walls.Count; n++)
            {
                var (from, to) = n % 2 == 0 ? (0, PythonStop(-CeilDiv(width, 3) + 1, width)) : (width / 3, width);
                for (var j = from; j < to; j++)
                {
                    cells[((top + walls[n]) * mapWidth) + left + j] = (byte)'W';
                }
            }
        }
        else
        {
            var walls = Every(4, width - 4);
            if (walls.Count % 2 == 1)
            {
                nestI = 1;
                foodI = 1;
            }

            for (var n = 0; n < walls.Count; n++)
            {
                var (from, to) = n % 2 == 0 ? (0, PythonStop(-CeilDiv(height, 3) + 1, height)) : (height / 3, height);
                for (var i = from; i < to; i++)
                {
                    cells[((top + i) * mapWidth) + left + walls[n]] = (byte)'W';
                }
            }
        }

        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 2; j++)
            {
                cells[((top + nestI + i) * mapWidth) + left + nestJ + j] = (byte)'N';
            }
        }

        for (var i = 0; i < 2; i++)
        {
            for (var j = 0; j < 2; j++)
            {
                cells[((top + foodI + i) * mapWidth) + left + foodJ + j] = (byte)'F';
            }
        }
    }

    /// <summary>The reference writes <c>-width // 3</c>: Python floors -width / 3, which is -ceil(width / 3).</summary>
    private static int CeilDiv(int n, int d) => (n + d - 1) / d;

    /// <summary>Python's range(4, stop, 4).</summary>
    private static List<int> Every(int step, int stop)
    {
        var values = new List<int>();
        for (var v = step; v < stop; v += step)
        {
            values.Add(v);
        }

        return values;
    }

    /// <summary>Where a Python slice <c>[:stop]</c> ends in a sequence of <paramref name="length"/>.</summary>
    private static int PythonStop(int stop, int length) => stop < 0 ? Math.Max(0, length + stop) : Math.Min(stop, length);

    /// <summary>The reference's spread: each agent in turn draws a column in [x0, x1] and a row in [y0, y1] until it lands on free floor.</summary>
    private static void Spread(PythonRandom rng, byte[] cells, int width, HashSet<int> blocked, int x0, int x1, int y0, int y1, int[] rows, int[] cols)
    {
        for (var a = 0; a < rows.Length; a++)
        {
            while (true)
            {
                var x = rng.RandInt(x0, x1);
                var y = rng.RandInt(y0, y1);
                var cell = (y * width) + x;
                if (cells[cell] == (byte)'.' && blocked.Add(cell))
                {
                    rows[a] = y;
                    cols[a] = x;
                    break;
                }
            }
        }
    }

    private static int Visit(ulong[] visited, int[] rows, int[] cols, bool[] escaped, int height, int width)
    {
        var added = 0;
        for (var a = 0; a < rows.Length; a++)
        {
            if (escaped[a] || rows[a] < 0 || rows[a] >= height || cols[a] < 0 || cols[a] >= width)
            {
                continue;
            }

            var cell = (rows[a] * width) + cols[a];
            var bit = 1UL << (cell & 63);
            if ((visited[cell >> 6] & bit) == 0)
            {
                visited[cell >> 6] |= bit;
                added++;
            }
        }

        return added;
    }
}
