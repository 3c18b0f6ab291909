using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Engine.Tests;

[GenerateSerializer, Immutable, Alias("agentswarm.tests.probe-config")]
public sealed record ProbeConfig(bool MessageNonNeighbour) : ScenarioConfig;

[GenerateSerializer, Immutable, Alias("agentswarm.tests.probe-partial")]
public sealed record ProbePartial(long Received) : RoundPartial;

[GenerateSerializer, Immutable, Alias("agentswarm.tests.probe-stats")]
public sealed record ProbeStats(long Received) : RoundStats
{
    public override IReadOnlyList<KeyValuePair<string, double>> Columns() => [new("received", Received)];
}

/// <summary>
/// A test scenario whose agents message every neighbour every round ("round:from->to") and remember exactly what
/// they received, so a test can check the post office delivered each message once, a round later, to its addressee.
/// </summary>
public sealed class ProbeScenario : IScenario
{
    public const string ScenarioName = "probe";

    public string Name => ScenarioName;

    public static string Text(int round, int from, int to) => string.Create(CultureInfo.InvariantCulture, $"{round}:{from}->{to}");

    public string? Validate(RunSpec spec) => spec.Config is ProbeConfig ? null : "probe needs a ProbeConfig";

    public IAgentMind CreateMind(RoundContext context, int index) => new Mind(((ProbeConfig)context.Config).MessageNonNeighbour);

    public RoundPartial Reduce(RoundContext context, int firstAgent, ReadOnlySpan<AgentAction> actions)
    {
        long received = 0;
        foreach (var action in actions)
        {
            received += (long)action.Number;
        }

        return new ProbePartial(received);
    }

    public RoundStats Merge(RoundContext context, IReadOnlyList<RoundPartial> partials) =>
        new ProbeStats(partials.Cast<ProbePartial>().Sum(p => p.Received));

    public ScenarioBroadcast? NextBroadcast(RoundContext context, RoundStats stats) => null;

    private sealed class Mind(bool messageNonNeighbour) : IAgentMind
    {
        private readonly List<string> _log = [];

        public AgentDecision Heuristic(AgentTurn turn)
        {
            var outgoing = turn.Neighbours.Select(n => new OutgoingMessage(n, Text(turn.Round, turn.Index, n))).ToList();
            if (messageNonNeighbour && turn.Neighbours.Length > 0)
            {
                // Someone this agent has no edge to: the engine must refuse it.
                var stranger = Enumerable.Range(0, int.MaxValue).First(i => i != turn.Index && Array.BinarySearch(turn.Neighbours, i) < 0);
                outgoing.Add(new OutgoingMessage(stranger, "not for you"));
            }

            return new AgentDecision(new AgentAction(turn.Inbox.Length), [.. outgoing]);
        }

        public AgentDecision Random(AgentTurn turn) => Heuristic(turn);

        public void Remember(AgentTurn turn, AgentDecision decision) =>
            _log.Add($"{turn.Round}|" + string.Join(",", turn.Inbox.Select(m => $"{m.From}={m.Text}")));

        public string[] DescribeMemory() => [.. _log];

        public void Save(BinaryWriter writer)
        {
            writer.Write(_log.Count);
            _log.ForEach(writer.Write);
        }

        public void Restore(BinaryReader reader)
        {
            _log.Clear();
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                _log.Add(reader.ReadString());
            }
        }
    }
}
