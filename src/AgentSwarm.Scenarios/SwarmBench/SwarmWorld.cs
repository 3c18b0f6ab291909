using AgentSwarm.Abstractions;

namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>The five SwarmBench tasks.</summary>
public enum SwarmTask
{
    Pursuit,
    Synchronization,
    Foraging,
    Flocking,
    Transport,
}

/// <summary>An agent's action; the numbers are what <see cref="AgentAction.Number"/> carries.</summary>
public enum SwarmMove : byte
{
    Stay = 0,
    Up = 1,
    Down = 2,
    Left = 3,
    Right = 4,
    Switch = 5,
}

public static class SwarmNames
{
    public static string Name(this SwarmTask task) => task switch
    {
        SwarmTask.Pursuit => "pursuit",
        SwarmTask.Synchronization => "synchronization",
        SwarmTask.Foraging => "foraging",
        SwarmTask.Flocking => "flocking",
        SwarmTask.Transport => "transport",
        _ => throw new ArgumentOutOfRangeException(nameof(task)),
    };

    public static IReadOnlyDictionary<string, SwarmTask> Tasks { get; } =
        Enum.GetValues<SwarmTask>().ToDictionary(t => t.Name(), t => t);

    public static string Name(this SwarmMove move) => move switch
    {
        SwarmMove.Up => "UP",
        SwarmMove.Down => "DOWN",
        SwarmMove.Left => "LEFT",
        SwarmMove.Right => "RIGHT",
        SwarmMove.Switch => "SWITCH",
        _ => "STAY",
    };

    /// <summary>The actions an agent may take in a task, in the reference's order (SWITCH only in synchronisation).</summary>
    public static SwarmMove[] Actions(SwarmTask task) => task == SwarmTask.Synchronization
        ? [SwarmMove.Up, SwarmMove.Down, SwarmMove.Left, SwarmMove.Right, SwarmMove.Stay, SwarmMove.Switch]
        : [SwarmMove.Up, SwarmMove.Down, SwarmMove.Left, SwarmMove.Right, SwarmMove.Stay];

    /// <summary>Row and column step of a move (UP is row - 1).</summary>
    public static (int Di, int Dj) Step(this SwarmMove move) => move switch
    {
        SwarmMove.Up => (-1, 0),
        SwarmMove.Down => (1, 0),
        SwarmMove.Left => (0, -1),
        SwarmMove.Right => (0, 1),
        _ => (0, 0),
    };
}

/// <summary>
/// The shared world of a SwarmBench run after a round (or at its start): the static layer (walls W, nest N, food F),
/// every agent's cell, the prey, the transport box, the lights or carried food, the score so far and what the score
/// depends on. Immutable: each round makes a new one, and a round's agents all read the same one by reference.
/// </summary>
/// <param name="Cells">Static layer, row-major, Height x Width: '.', 'W', 'N' or 'F'.</param>
/// <param name="Rows">Each agent's row; an agent that left the map (transport) keeps the cell outside it where it left.</param>
/// <param name="Flags">Synchronisation: the agent's light is on; foraging: it carries food; otherwise unused (true).</param>
/// <param name="Escaped">Transport: the agent has left the map (it no longer acts or occupies a cell; what it said as it left is heard from the cell where it stands).</param>
/// <param name="PreyRow">The prey's row (pursuit), -1 without a prey.</param>
/// <param name="PreyStatic">A respawned prey cannot be pushed; the first one can, as in the reference.</param>
/// <param name="BoxRow">The transport box's top-left row (it may stand partly or wholly outside the map), or int.MinValue for none.</param>
/// <param name="Rng">The task's random stream (prey respawns) as it stands after this round.</param>
/// <param name="SyncPrevious">Synchronisation: the count of lights on at the last synchronised state (-1: none yet).</param>
/// <param name="FlockInitial">Flocking: the distance to the target shape at the start.</param>
/// <param name="FlockCurrent">Flocking: the distance now.</param>
/// <param name="Visited">Cells any agent has stood on so far, one bit per cell.</param>
/// <param name="Events">This round's scoring events: captures, synchronisations, deliveries, exits.</param>
/// <param name="BoxMask">Which cells of the box's BoxHeight x BoxWidth frame are box, row-major (null: all of them).</param>
/// <param name="OffMap">Cells outside the map where agents have stood (they left through the gap), as row * 2^32 + column, sorted.</param>
[GenerateSerializer, Immutable, Alias("agentswarm.swarm-world")]
public sealed record SwarmWorld(
    SwarmTask Task,
    int Height,
    int Width,
    int View,
    int MaxRounds,
    byte[] Cells,
    int[] Rows,
    int[] Cols,
    bool[] Flags,
    bool[] Escaped,
    int PreyRow,
    int PreyCol,
    bool PreyStatic,
    int BoxRow,
    int BoxCol,
    int BoxHeight,
    int BoxWidth,
    int BoxMass,
    uint[] Rng,
    double Score,
    int SyncPrevious,
    long FlockInitial,
    long FlockCurrent,
    ulong[] Visited,
    int Explored,
    int Round,
    int Events = 0,
    bool[]? BoxMask = null,
    long[]? OffMap = null)
{
    public const int NoBox = int.MinValue;

    /// <summary>Agents in the run.</summary>
    public int Agents => Rows.Length;

    public bool HasBox => BoxRow != NoBox;

    public bool HasPrey => PreyRow >= 0;

    public bool Inside(int row, int col) => row >= 0 && row < Height && col >= 0 && col < Width;

    public bool BoxCovers(int row, int col) =>
        HasBox && row >= BoxRow && row < BoxRow + BoxHeight && col >= BoxCol && col < BoxCol + BoxWidth
        && (BoxMask is null || BoxMask[((row - BoxRow) * BoxWidth) + col - BoxCol]);

    /// <summary>The box's cells, wherever they are (some may be outside the map).</summary>
    public IEnumerable<(int Row, int Col)> BoxCells()
    {
        if (!HasBox)
        {
            yield break;
        }

        for (var r = 0; r < BoxHeight; r++)
        {
            for (var c = 0; c < BoxWidth; c++)
            {
                if (BoxMask is null || BoxMask[(r * BoxWidth) + c])
                {
                    yield return (BoxRow + r, BoxCol + c);
                }
            }
        }
    }

    // Built on first use; 'with' copies this field, so it remembers which positions it was built from.
    [NonSerialized]
    private OccupantIndex? _occupants;

    /// <summary>Agent index standing on each cell (row-major), -1 for none; built once per set of positions, on first use.</summary>
    public int[] Occupants() => Index().Cells;

    /// <summary>The agents that have left the map, in agent order; built with <see cref="Occupants"/>.</summary>
    public int[] Departed() => Index().Departed;

    private OccupantIndex Index()
    {
        var index = Volatile.Read(ref _occupants);
        if (index is not null && ReferenceEquals(index.Rows, Rows) && ReferenceEquals(index.Cols, Cols) && ReferenceEquals(index.Escaped, Escaped))
        {
            return index;
        }

        // Thousands of agents read a new world at once: one builds the index, the others wait for it.
        lock (Rows)
        {
            index = Volatile.Read(ref _occupants);
            if (index is not null && ReferenceEquals(index.Rows, Rows) && ReferenceEquals(index.Cols, Cols) && ReferenceEquals(index.Escaped, Escaped))
            {
                return index;
            }

            return BuildIndex();
        }
    }

    private OccupantIndex BuildIndex()
    {
        var occupants = new int[Height * Width];
        Array.Fill(occupants, -1);
        var departed = new List<int>();
        for (var a = 0; a < Rows.Length; a++)
        {
            if (Escaped[a])
            {
                departed.Add(a);
            }
            else if (Inside(Rows[a], Cols[a]))
            {
                occupants[(Rows[a] * Width) + Cols[a]] = a;
            }
        }

        var index = new OccupantIndex(Rows, Cols, Escaped, occupants, [.. departed]);
        Volatile.Write(ref _occupants, index);
        return index;
    }

    private sealed record OccupantIndex(int[] Rows, int[] Cols, bool[] Escaped, int[] Cells, int[] Departed);

    /// <summary>What the reference's grid holds at a cell: W, N, F, B, P, A (an agent; a with its light off or without food), or '.'.</summary>
    public char Symbol(int row, int col)
    {
        var cell = (char)Cells[(row * Width) + col];
        if (cell != '.')
        {
            return cell;
        }

        if (BoxCovers(row, col))
        {
            return 'B';
        }

        if (row == PreyRow && col == PreyCol)
        {
            return 'P';
        }

        var agent = Occupants()[(row * Width) + col];
        return agent < 0 ? '.' : AgentSymbol(agent);
    }

    /// <summary>'A', or 'a' for an agent whose light is off (synchronisation) or that carries no food (foraging).</summary>
    public char AgentSymbol(int agent) =>
        Task is SwarmTask.Synchronization or SwarmTask.Foraging && !Flags[agent] ? 'a' : 'A';
}
