namespace AgentSwarm.Scenarios.SwarmBench;

/// <summary>
/// The reference's force rules, resolved one direction at a time in the order UP, DOWN, LEFT, RIGHT. In a direction,
/// every agent that chose it pushes with force 2, every agent that chose the opposite resists (its mass grows by 2),
/// and bodies in contact form chains: an agent (mass 1), the prey (mass 1; a respawned prey is static), the transport
/// box (mass 5), walls, nest and food (static). A body moves when the force reaching it covers its mass; what is left
/// passes to the bodies directly ahead, and a body moves only if everything ahead of it moves too. The bodies that
/// move all move at once. The reference finds the largest such set with an integer program; that set is unique. Here
/// chains of single-cell bodies are resolved in linear time (force flows from the back of each chain to its front, a
/// body that cannot move stops everything behind it), and the bodies in contact with the box, the only body with
/// several bodies ahead or behind, exactly by repeated max flows (<see cref="SolveExactly"/>).
/// Nothing here depends on agent order or partitioning, only on positions and actions.
/// </summary>
public sealed class SwarmPhysics
{
    public const int AgentForce = 2;
    public const int AgentMass = 1;

    private const int Empty = -1;
    private const int Static = -2;

    /// <summary>A body whose moving was decided by <see cref="SolveExactly"/> (it moves; the ones that do not are stopped).</summary>
    private const int Decided = 4;

    /// <summary>The most bodies in contact with the box that <see cref="SolveExactly"/> decides (a dense max flow over them).</summary>
    public const int ExactUpTo = 256;

    private static readonly SwarmMove[] Order = [SwarmMove.Up, SwarmMove.Down, SwarmMove.Left, SwarmMove.Right];

    private readonly int _height;
    private readonly int _width;
    private readonly byte[] _cells;
    private readonly int[] _occupant;

    // Node n: 0..agents-1 the agents, agents the box, agents + 1 the prey.
    private readonly int _agents;
    private readonly int[] _force;
    private readonly int[] _mass;
    private readonly int[] _state; // 0 candidate, 1 moves, 2 stopped
    private readonly int[] _inflow;
    private readonly int[] _need;
    private bool _rerun;
    private readonly List<int>[] _ahead;
    private readonly List<int>[] _behind;

    public SwarmPhysics(int height, int width, byte[] cells, int agents)
    {
        _height = height;
        _width = width;
        _cells = cells;
        _agents = agents;
        _occupant = new int[height * width];
        var nodes = agents + 2;
        _force = new int[nodes];
        _mass = new int[nodes];
        _state = new int[nodes];
        _inflow = new int[nodes];
        _need = new int[nodes];
        _ahead = new List<int>[nodes];
        _behind = new List<int>[nodes];
    }

    public int[] Rows { get; set; } = [];

    public int[] Cols { get; set; } = [];

    /// <summary>Agents that have left the map: they neither push nor stand anywhere.</summary>
    public bool[] Escaped { get; set; } = [];

    public int PreyRow { get; set; } = -1;

    public int PreyCol { get; set; } = -1;

    public bool PreyStatic { get; set; }

    public int BoxRow { get; set; } = SwarmWorld.NoBox;

    public int BoxCol { get; set; }

    public int BoxHeight { get; set; }

    public int BoxWidth { get; set; }

    public int BoxMass { get; set; } = 5;

    /// <summary>Which cells of the box's frame are box (null: all).</summary>
    public bool[]? BoxMask { get; set; }

    private bool InBox(int r, int c) =>
        r >= 0 && r < BoxHeight && c >= 0 && c < BoxWidth && (BoxMask is null || BoxMask[(r * BoxWidth) + c]);

    private int BoxId => _agents;

    private int PreyId => _agents + 1;

    private bool HasBox => BoxRow != SwarmWorld.NoBox;

    /// <summary>Resolves one round's moves (actions by agent; inactive agents are ignored), changing the positions in place.</summary>
    public void Resolve(ReadOnlySpan<SwarmMove> actions)
    {
        foreach (var direction in Order)
        {
            ResolveDirection(actions, direction);
        }
    }

    private void ResolveDirection(ReadOnlySpan<SwarmMove> actions, SwarmMove direction)
    {
        var (di, dj) = direction.Step();
        var opposite = direction switch
        {
            SwarmMove.Up => SwarmMove.Down,
            SwarmMove.Down => SwarmMove.Up,
            SwarmMove.Left => SwarmMove.Right,
            _ => SwarmMove.Left,
        };

        // Only agents pushing this way can start a movement; with none, nothing moves.
        var pushers = new List<int>();
        for (var a = 0; a < _agents; a++)
        {
            if (!Escaped[a] && actions[a] == direction)
            {
                pushers.Add(a);
            }
        }

        if (pushers.Count == 0)
        {
            return;
        }

        Occupy();

        // Discover the bodies reachable forward from the pushers, and their contacts.
        var reached = new List<int>();
        var queue = new Queue<int>();
        foreach (var a in pushers)
        {
            Visit(a);
        }

        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var (row, col) in FrontCells(node, di, dj))
            {
                var next = Occupant(row, col);
                if (next == Empty)
                {
                    continue;
                }

                if (next == Static || (next == PreyId && PreyStatic))
                {
                    _ahead[node].Add(Static);
                    continue;
                }

                if (!_ahead[node].Contains(next))
                {
                    _ahead[node].Add(next);
                    Visit(next);
                    _behind[next].Add(node);
                }
            }
        }

        // Forces and masses: a pusher drives with 2; an agent pushing the other way adds 2 to its mass.
        foreach (var node in reached)
        {
            if (node < _agents)
            {
                var action = actions[node];
                _force[node] = action == direction ? AgentForce : 0;
                _mass[node] = AgentMass + (action == opposite ? AgentForce : 0);
            }
            else
            {
                _force[node] = 0;
                _mass[node] = node == BoxId ? BoxMass : 1;
            }
        }

        // A body with something static ahead, or ahead of something that cannot move, cannot move.
        var order = TopologicalOrder(reached);
        for (var k = order.Count - 1; k >= 0; k--)
        {
            var node = order[k];
            if (_ahead[node].Any(n => n == Static || _state[n] == 2))
            {
                _state[node] = 2;
            }
        }

        // The box is the one body that can touch several bodies ahead or behind: the bodies in contact with it, directly
        // or through others, are decided exactly, as the reference's integer program decides them.
        if (_ahead[BoxId] is not null && reached.Contains(BoxId))
        {
            SolveExactly(BoxId);
        }

        // Flow the force from back to front along each chain; a body short of force stops, with everything behind it.
        var changed = true;
        while (changed)
        {
            changed = false;
            for (var k = order.Count - 1; k >= 0; k--)
            {
                var node = order[k];
                var need = (long)_mass[node] - _force[node];
                foreach (var next in _ahead[node])
                {
                    need += next >= 0 ? _need[next] : int.MaxValue;
                }

                _need[node] = _state[node] == 2 ? int.MaxValue : (int)Math.Clamp(need, 0, int.MaxValue);
                _inflow[node] = 0;
            }

            foreach (var node in order)
            {
                if (_state[node] is 2 or Decided)
                {
                    continue;
                }

                var available = _force[node] + _inflow[node];
                if (available < _mass[node])
                {
                    // What this body's chain sent it is lost with it. Only a body behind it that also fed other bodies
                    // (the box) changes what comes after, so only then is the flow recomputed.
                    _rerun = false;
                    Stop(node);
                    changed |= _rerun;
                    continue;
                }

                var left = available - _mass[node];
                var ahead = _ahead[node];
                for (var i = 0; i < ahead.Count; i++)
                {
                    var give = i == ahead.Count - 1 ? left : Math.Min(left, _need[ahead[i]]);
                    _inflow[ahead[i]] += give;
                    left -= give;
                }
            }
        }

        foreach (var node in reached)
        {
            if (_state[node] != 2)
            {
                if (node < _agents)
                {
                    Rows[node] += di;
                    Cols[node] += dj;
                }
                else if (node == BoxId)
                {
                    BoxRow += di;
                    BoxCol += dj;
                }
                else
                {
                    PreyRow += di;
                    PreyCol += dj;
                }
            }

            _state[node] = 0;
            _ahead[node].Clear();
            _behind[node].Clear();
        }

        void Visit(int node)
        {
            if (_ahead[node] is null)
            {
                _ahead[node] = [];
                _behind[node] = [];
            }

            if (_state[node] == 0)
            {
                reached.Add(node);
                queue.Enqueue(node);
                _state[node] = 3; // discovered
            }
        }
    }

    /// <summary>
    /// The bodies connected to <paramref name="start"/>, decided as the reference's integer program decides them. The
    /// largest set of bodies that can move is unique (feasible sets are closed under union), and it is found by: take
    /// every body that is not stopped; while the force cannot cover every body's mass (a max flow from each body's
    /// force, along contacts, into each body's mass falls short), drop the bodies left short, with everything behind
    /// them, and try again.
    /// </summary>
    private void SolveExactly(int start)
    {
        var component = new List<int>();
        var seen = new HashSet<int> { start };
        var queue = new Queue<int>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            component.Add(node);
            foreach (var next in _ahead[node].Concat(_behind[node]))
            {
                if (next >= 0 && seen.Add(next))
                {
                    queue.Enqueue(next);
                }
            }
        }

        if (component.Count > ExactUpTo)
        {
            // A swarm queued behind the box in long lanes: the dense max flow would cost seconds a round. The chain
            // flow below decides it instead, the box handing each body ahead what it needs first (the same answer
            // unless what is ahead of the box competes for too little force in a way only a smarter split would solve).
            return;
        }

        var alive = component.Where(n => _state[n] != 2).ToHashSet();
        while (alive.Count > 0)
        {
            // Nodes 0..k-1 the bodies, k the source, k + 1 the sink.
            var nodes = alive.Order().ToArray();
            var at = new Dictionary<int, int>(nodes.Length);
            for (var i = 0; i < nodes.Length; i++)
            {
                at[nodes[i]] = i;
            }

            var k = nodes.Length;
            var capacity = new long[k + 2, k + 2];
            for (var i = 0; i < k; i++)
            {
                capacity[k, i] = Math.Max(0, _force[nodes[i]]);
                capacity[i, k + 1] = _mass[nodes[i]];
                foreach (var next in _ahead[nodes[i]])
                {
                    if (next >= 0 && at.TryGetValue(next, out var j))
                    {
                        capacity[i, j] = long.MaxValue / 4;
                    }
                }
            }

            MaxFlow(capacity, k, k + 1);
            var short_ = nodes.Where((n, i) => capacity[i, k + 1] > 0).ToList();
            if (short_.Count == 0)
            {
                break;
            }

            foreach (var node in short_)
            {
                Drop(node);
            }
        }

        foreach (var node in component)
        {
            _state[node] = alive.Contains(node) ? Decided : 2;
        }

        void Drop(int node)
        {
            if (alive.Remove(node))
            {
                foreach (var back in _behind[node])
                {
                    Drop(back);
                }
            }
        }
    }

    /// <summary>Edmonds-Karp on a small dense network; leaves the residual capacities in <paramref name="capacity"/>.</summary>
    private static void MaxFlow(long[,] capacity, int source, int sink)
    {
        var n = capacity.GetLength(0);
        var parent = new int[n];
        while (true)
        {
            Array.Fill(parent, -1);
            parent[source] = source;
            var queue = new Queue<int>([source]);
            while (queue.Count > 0 && parent[sink] < 0)
            {
                var u = queue.Dequeue();
                for (var v = 0; v < n; v++)
                {
                    if (parent[v] < 0 && capacity[u, v] > 0)
                    {
                        parent[v] = u;
                        queue.Enqueue(v);
                    }
                }
            }

            if (parent[sink] < 0)
            {
                return;
            }

            var push = long.MaxValue;
            for (var v = sink; v != source; v = parent[v])
            {
                push = Math.Min(push, capacity[parent[v], v]);
            }

            for (var v = sink; v != source; v = parent[v])
            {
                capacity[parent[v], v] -= push;
                capacity[v, parent[v]] += push;
            }
        }
    }

    private void Stop(int node)
    {
        if (_state[node] == 2)
        {
            return;
        }

        _state[node] = 2;
        foreach (var back in _behind[node])
        {
            _rerun |= _ahead[back].Count > 1 && _state[back] != 2;
            Stop(back);
        }
    }

    private List<int> TopologicalOrder(List<int> nodes)
    {
        // Back to front (Kahn's algorithm on the contacts); reset the discovery marks on the way.
        var pending = new Dictionary<int, int>(nodes.Count);
        foreach (var node in nodes)
        {
            _state[node] = 0;
            pending[node] = _behind[node].Count;
        }

        var order = new List<int>(nodes.Count);
        var ready = new Queue<int>(nodes.Where(n => pending[n] == 0).OrderBy(n => n));
        while (ready.Count > 0)
        {
            var node = ready.Dequeue();
            order.Add(node);
            foreach (var next in _ahead[node])
            {
                if (next >= 0 && --pending[next] == 0)
                {
                    ready.Enqueue(next);
                }
            }
        }

        // Contacts cannot form a cycle with one multi-cell body; any node left out (never) is treated as stopped.
        foreach (var node in nodes.Where(n => pending[n] > 0))
        {
            _state[node] = 2;
            order.Add(node);
        }

        return order;
    }

    private IEnumerable<(int Row, int Col)> FrontCells(int node, int di, int dj)
    {
        if (node < _agents)
        {
            yield return (Rows[node] + di, Cols[node] + dj);
        }
        else if (node == PreyId)
        {
            yield return (PreyRow + di, PreyCol + dj);
        }
        else
        {
            // The box's leading face in this direction: each box cell whose next cell is not box (notches of the L included).
            for (var r = 0; r < BoxHeight; r++)
            {
                for (var c = 0; c < BoxWidth; c++)
                {
                    if (InBox(r, c) && !InBox(r + di, c + dj))
                    {
                        yield return (BoxRow + r + di, BoxCol + c + dj);
                    }
                }
            }
        }
    }

    private int Occupant(int row, int col)
    {
        if (HasBox && InBox(row - BoxRow, col - BoxCol))
        {
            return BoxId;
        }

        if (row < 0 || row >= _height || col < 0 || col >= _width)
        {
            // Outside the map there is nothing but the box.
            return Empty;
        }

        var occupant = _occupant[(row * _width) + col];
        return occupant;
    }

    private void Occupy()
    {
        for (var i = 0; i < _occupant.Length; i++)
        {
            _occupant[i] = _cells[i] == (byte)'.' ? Empty : Static;
        }

        if (PreyRow >= 0)
        {
            _occupant[(PreyRow * _width) + PreyCol] = PreyId;
        }

        for (var a = 0; a < _agents; a++)
        {
            if (!Escaped[a] && Rows[a] >= 0 && Rows[a] < _height && Cols[a] >= 0 && Cols[a] < _width)
            {
                _occupant[(Rows[a] * _width) + Cols[a]] = a;
            }
        }
    }
}
