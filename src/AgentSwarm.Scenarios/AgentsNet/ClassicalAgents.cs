using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>
/// Classical distributed algorithms for the AgentsNet tasks, speaking only through AgentsNet's channel: one text
/// message to each neighbour per round, read in the next round. Agents know only their own name and their
/// neighbours' names (names stand in for ids). The random policy answers a uniformly random option instead.
/// </summary>
internal abstract class ClassicalAgent(AgentsNetConfig config, int index) : IAgentMind
{
    protected AgentsNetConfig Config { get; } = config;

    protected int Index { get; } = index;

    protected string Me => Config.Names[Index];

    /// <summary>Whether the algorithm has finished (its answer will not change).</summary>
    protected bool Done { get; set; }

    /// <summary>Whether the agent has nothing to do until mail arrives, so the engine may skip it.</summary>
    protected bool Idle { get; set; }

    public static IAgentMind Create(AgentsNetConfig config, ulong seed, int index) => config.Task switch
    {
        AgentsNetTask.LeaderElection or AgentsNetTask.Consensus => new Flooding(config, seed, index),
        AgentsNetTask.Coloring => new Colouring(config, index),
        AgentsNetTask.Matching => new Matching(config, index),
        AgentsNetTask.VertexCover => new CoverByIndependentSet(config, index),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Task, "unknown task"),
    };

    public AgentDecision Heuristic(AgentTurn turn)
    {
        Idle = false;
        var outgoing = Step(turn);
        return new AgentDecision(new AgentAction(Done ? 1 : 0, Answer(turn)), outgoing, Idle);
    }

    public AgentDecision Random(AgentTurn turn)
    {
        var rng = turn.Random();
        var options = AgentsNetRules.Options(Config.Task, Config.Colours, [.. turn.Neighbours.Select(n => Config.Names[n])]);
        return new AgentDecision(new AgentAction(1, options[rng.NextInt(options.Count)]));
    }

    public void Remember(AgentTurn turn, AgentDecision decision)
    {
        // The algorithm's state is the memory: nothing else is kept.
    }

    public string[] DescribeMemory() => [Describe()];

    public void Save(BinaryWriter writer)
    {
        writer.Write(Done);
        writer.Write(Idle);
        SaveState(writer);
    }

    public void Restore(BinaryReader reader)
    {
        Done = reader.ReadBoolean();
        Idle = reader.ReadBoolean();
        RestoreState(reader);
    }

    /// <summary>The algorithm's own state, for checkpoints.</summary>
    protected abstract void SaveState(BinaryWriter writer);

    protected abstract void RestoreState(BinaryReader reader);

    protected static void WriteSet(BinaryWriter writer, HashSet<int> set)
    {
        writer.Write(set.Count);
        foreach (var item in set.Order())
        {
            writer.Write(item);
        }
    }

    protected static void ReadSet(BinaryReader reader, HashSet<int> set)
    {
        set.Clear();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            set.Add(reader.ReadInt32());
        }
    }

    /// <summary>Reads this round's inbox, updates the state and returns this round's messages.</summary>
    protected abstract OutgoingMessage[] Step(AgentTurn turn);

    /// <summary>The answer as of now, in the task's exact answer format.</summary>
    protected abstract string Answer(AgentTurn turn);

    protected abstract string Describe();

    protected static OutgoingMessage[] ToAll(int[] neighbours, string text)
    {
        var outgoing = new OutgoingMessage[neighbours.Length];
        for (var i = 0; i < neighbours.Length; i++)
        {
            outgoing[i] = new OutgoingMessage(neighbours[i], text);
        }

        return outgoing;
    }

    /// <summary>Leader election and consensus: flood the smallest name seen (with its owner's bit); D rounds suffice.</summary>
    private sealed class Flooding : ClassicalAgent
    {
        private string _least;
        private char _bit;

        public Flooding(AgentsNetConfig config, ulong seed, int index)
            : base(config, index)
        {
            _least = Me;
            _bit = AgentRandom.For(seed, index, 0, stream: 7).NextInt(2) == 0 ? '0' : '1';
        }

        protected override OutgoingMessage[] Step(AgentTurn turn)
        {
            var changed = turn.Round == 1;
            foreach (var message in turn.Inbox)
            {
                // "name bit": the smallest name its sender knows, and that agent's initial bit.
                // Compared in place (ordinal, as string.CompareOrdinal): a name is copied only when it is news.
                var space = message.Text.LastIndexOf(' ');
                if (space > 0 && message.Text.AsSpan(0, space).SequenceCompareTo(_least) < 0)
                {
                    _least = message.Text[..space];
                    _bit = message.Text[space + 1];
                    changed = true;
                }
            }

            // After 2D + 1 rounds the smallest name has crossed the graph twice over. Only news is passed on: an
            // agent whose smallest name did not change has nothing to say, and waits for mail.
            Done = turn.Round > Config.MessageRounds;
            Idle = Done || !changed;
            return Idle ? [] : ToAll(turn.Neighbours, $"{_least} {_bit}");
        }

        protected override string Answer(AgentTurn turn) =>
            Config.Task == AgentsNetTask.Consensus ? _bit.ToString() : _least == Me ? "Yes" : "No";

        protected override string Describe() => $"least name {_least}, bit {_bit}";

        protected override void SaveState(BinaryWriter writer)
        {
            writer.Write(_least);
            writer.Write(_bit);
        }

        protected override void RestoreState(BinaryReader reader)
        {
            _least = reader.ReadString();
            _bit = reader.ReadChar();
        }
    }

    /// <summary>(max degree + 1)-colouring by random trials: keep a tentative colour no neighbour tried or holds.</summary>
    private sealed class Colouring(AgentsNetConfig config, int index) : ClassicalAgent(config, index)
    {
        private readonly HashSet<int> _taken = [];
        private int _tentative;
        private int _fixed;

        protected override OutgoingMessage[] Step(AgentTurn turn)
        {
            var clash = false;
            foreach (var message in turn.Inbox)
            {
                var colour = int.Parse(message.Text.AsSpan(2), CultureInfo.InvariantCulture);
                if (message.Text[0] == 'F')
                {
                    _taken.Add(colour);
                }

                clash |= colour == _tentative;
            }

            if (_fixed != 0)
            {
                // Fixed earlier and told the neighbours then: they keep it for good.
                Idle = true;
                return [];
            }

            if (_tentative != 0 && !clash)
            {
                _fixed = _tentative;
                Done = true;
                Idle = true;
                return ToAll(turn.Neighbours, $"F {_fixed}");
            }

            var free = Enumerable.Range(1, Config.Colours).Where(c => !_taken.Contains(c)).ToArray();
            var rng = turn.Random();
            _tentative = free[rng.NextInt(free.Length)];
            return ToAll(turn.Neighbours, $"T {_tentative}");
        }

        protected override string Answer(AgentTurn turn)
        {
            var colour = _fixed != 0 ? _fixed : Enumerable.Range(1, Config.Colours).First(c => !_taken.Contains(c));
            return $"Group {colour}";
        }

        protected override string Describe() => _fixed != 0 ? $"colour {_fixed}" : $"trying {_tentative}";

        protected override void SaveState(BinaryWriter writer)
        {
            WriteSet(writer, _taken);
            writer.Write(_tentative);
            writer.Write(_fixed);
        }

        protected override void RestoreState(BinaryReader reader)
        {
            ReadSet(reader, _taken);
            _tentative = reader.ReadInt32();
            _fixed = reader.ReadInt32();
        }
    }

    /// <summary>
    /// Maximal matching by proposals, in two-round phases: each unmatched agent flips a coin; proposers propose to a
    /// random neighbour not known to be matched, and an acceptor accepts the proposal from the smallest name.
    /// </summary>
    private sealed class Matching(AgentsNetConfig config, int index) : ClassicalAgent(config, index)
    {
        private readonly HashSet<int> _matchedNeighbours = [];
        private int _partner = -1;
        private int _proposedTo = -1;

        protected override OutgoingMessage[] Step(AgentTurn turn)
        {
            if (Done)
            {
                // Finished and already said so: matched neighbours are remembered for good.
                Idle = true;
                return [];
            }

            var proposers = new List<int>();
            foreach (var message in turn.Inbox)
            {
                if (message.Text[0] == 'M')
                {
                    _matchedNeighbours.Add(message.From);
                }

                if (message.Text.EndsWith(" A", StringComparison.Ordinal) && message.From == _proposedTo && _partner < 0)
                {
                    _partner = message.From;
                }

                if (message.Text.EndsWith(" P", StringComparison.Ordinal))
                {
                    proposers.Add(message.From);
                }
            }

            var odd = turn.Round % 2 == 1;
            string? extra = null;
            var to = -1;
            if (_partner < 0 && !odd && proposers.Count > 0 && !IsProposer(turn.Round - 1))
            {
                // Accept the proposal of the smallest name.
                to = proposers.MinBy(p => Config.Names[p], StringComparer.Ordinal);
                _partner = to;
                extra = "A";
            }
            else if (odd)
            {
                // A new phase: last phase's proposal was answered (or not) in this inbox.
                _proposedTo = -1;
            }

            if (_partner < 0 && odd && IsProposer(turn.Round))
            {
                var free = turn.Neighbours.Where(n => !_matchedNeighbours.Contains(n)).ToArray();
                if (free.Length > 0)
                {
                    to = free[turn.Random(stream: 1).NextInt(free.Length)];
                    _proposedTo = to;
                    extra = "P";
                }
            }

            // Finished once matched, or once every neighbour is known to be matched; this round's status is the last word.
            Done = _partner >= 0 || turn.Neighbours.All(_matchedNeighbours.Contains);
            Idle = Done;
            var status = _partner >= 0 ? "M" : "U";
            var outgoing = ToAll(turn.Neighbours, status);
            if (to >= 0)
            {
                var i = Array.IndexOf(turn.Neighbours, to);
                outgoing[i] = new OutgoingMessage(to, $"{status} {extra}");
            }

            return outgoing;

            bool IsProposer(int round) => AgentRandom.For(turn.Context.Seed, Index, round, stream: 2).NextInt(2) == 0;
        }

        protected override string Answer(AgentTurn turn) => _partner >= 0 ? Config.Names[_partner] : "None";

        protected override string Describe() => _partner >= 0 ? $"matched with {Config.Names[_partner]}" : "unmatched";

        protected override void SaveState(BinaryWriter writer)
        {
            WriteSet(writer, _matchedNeighbours);
            writer.Write(_partner);
            writer.Write(_proposedTo);
        }

        protected override void RestoreState(BinaryReader reader)
        {
            ReadSet(reader, _matchedNeighbours);
            _partner = reader.ReadInt32();
            _proposedTo = reader.ReadInt32();
        }
    }

    /// <summary>
    /// Inclusion-minimal vertex cover as the complement of a maximal independent set (Luby): in two-round phases
    /// undecided agents draw a priority; one above all undecided neighbours' joins the set, and its neighbours join
    /// the cover. Every cover agent then has a neighbour outside the cover, so none can be dropped.
    /// </summary>
    private sealed class CoverByIndependentSet(AgentsNetConfig config, int index) : ClassicalAgent(config, index)
    {
        private const int Undecided = 0, Independent = 1, Cover = 2;
        private int _state = Undecided;
        private ulong _priority;

        protected override OutgoingMessage[] Step(AgentTurn turn)
        {
            var odd = turn.Round % 2 == 1;
            var best = true;
            var undecidedNeighbours = 0;
            foreach (var message in turn.Inbox)
            {
                if (message.Text == "IN" && _state == Undecided)
                {
                    _state = Cover;
                }

                if (message.Text.StartsWith("U ", StringComparison.Ordinal))
                {
                    undecidedNeighbours++;
                    var theirs = ulong.Parse(message.Text.AsSpan(2), CultureInfo.InvariantCulture);
                    best &= theirs < _priority || (theirs == _priority && string.CompareOrdinal(Config.Names[message.From], Me) > 0);
                }
            }

            if (_state == Undecided && !odd && best && _priority != 0)
            {
                _state = Independent;
            }

            var decidedBefore = Done;
            Done = _state != Undecided;
            Idle = Done;
            if (decidedBefore || _state == Cover)
            {
                // Cover agents need not speak (only undecided priorities count); the independent said IN once.
                return [];
            }

            if (_state == Independent)
            {
                return ToAll(turn.Neighbours, "IN");
            }

            if (odd)
            {
                _priority = AgentRandom.For(turn.Context.Seed, Index, turn.Round, stream: 3).NextUInt64() | 1;
                return ToAll(turn.Neighbours, string.Create(CultureInfo.InvariantCulture, $"U {_priority}"));
            }

            return [];
        }

        protected override string Answer(AgentTurn turn) => _state == Cover ? "Yes" : "No";

        protected override string Describe() => _state switch
        {
            Independent => "in the independent set",
            Cover => "in the cover",
            _ => "undecided",
        };

        protected override void SaveState(BinaryWriter writer)
        {
            writer.Write(_state);
            writer.Write(_priority);
        }

        protected override void RestoreState(BinaryReader reader)
        {
            _state = reader.ReadInt32();
            _priority = reader.ReadUInt64();
        }
    }
}
