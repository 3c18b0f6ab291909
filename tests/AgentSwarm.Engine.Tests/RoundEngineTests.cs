using System.Numerics;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Engine.Topology;
using AgentSwarm.Scenarios.GuessTwoThirds;

namespace AgentSwarm.Engine.Tests;

[Collection(OneSiloCollection.Name)]
public sealed class RoundEngineTests(OneSiloFixture fixture)
{
    private static RunSpec Guess(int agents, int rounds, int partitions, GuessTwoThirdsConfig? config = null, TopologySpec? topology = null, ulong seed = 7) =>
        new(GuessTwoThirdsScenario.ScenarioName, agents, rounds, seed, PolicySpec.Heuristic, partitions, topology ?? TopologySpec.None, config ?? GuessTwoThirdsConfig.Default);

    [Fact]
    public async Task RoundStatisticsEqualASingleThreadedReferenceComputation()
    {
        // Malformed answers, neighbours' messages and adaptive players all in play.
        var config = GuessTwoThirdsConfig.Default with { InvalidShare = 0.05, Messaging = GuessMessaging.Neighbours, HistogramBins = 7 };
        var spec = Guess(1500, 4, 6, config, new TopologySpec(TopologyKind.WattsStrogatz, Degree: 4, Rewire: 0.2));

        var (status, rounds) = await fixture.RunAsync(spec);

        Assert.Equal(SimulationState.Completed, status.State);
        var reference = ReferenceRun(spec);
        Assert.Equal(reference.Count, rounds.Length);
        for (var r = 0; r < rounds.Length; r++)
        {
            var actual = Assert.IsType<GuessRoundStats>(rounds[r].Stats);
            var expected = reference[r];
            Assert.True(actual.Invalid > 0, "the malformed share should drop some guesses");
            AssertBitIdentical(expected, actual, $"round {r + 1}");
            Assert.Equal(spec.Agents, rounds[r].AgentSteps);
        }
    }

    [Fact]
    public async Task SameSeedGivesIdenticalRoundsWithFourOrSixtyFourPartitions()
    {
        var config = GuessTwoThirdsConfig.Default with { Messaging = GuessMessaging.Neighbours, InvalidShare = 0.01 };
        var topology = new TopologySpec(TopologyKind.BarabasiAlbert, Attach: 2);
        var (_, four) = await fixture.RunAsync(Guess(3000, 4, 4, config, topology));
        var (_, sixtyFour) = await fixture.RunAsync(Guess(3000, 4, 64, config, topology));

        Assert.Equal(4, four.Length);
        for (var r = 0; r < four.Length; r++)
        {
            AssertBitIdentical((GuessRoundStats)four[r].Stats, (GuessRoundStats)sixtyFour[r].Stats, $"round {r + 1}");
            Assert.Equal(four[r].Messages, sixtyFour[r].Messages);
        }
    }

    [Fact]
    public async Task DifferentSeedsGiveDifferentRounds()
    {
        var (_, a) = await fixture.RunAsync(Guess(500, 2, 2, seed: 1));
        var (_, b) = await fixture.RunAsync(Guess(500, 2, 2, seed: 2));
        Assert.NotEqual(((GuessRoundStats)a[0].Stats).Mean, ((GuessRoundStats)b[0].Stats).Mean);
    }

    [Fact]
    public async Task MessagesOfRoundRArriveInRoundRPlusOneAtExactlyTheAddressedNeighbours()
    {
        const int agents = 240;
        const int rounds = 3;
        var topology = new TopologySpec(TopologyKind.WattsStrogatz, Degree: 6, Rewire: 0.3);
        var spec = new RunSpec(ProbeScenario.ScenarioName, agents, rounds, 11, PolicySpec.Heuristic, 8, topology, new ProbeConfig(MessageNonNeighbour: true));
        var graph = TopologyBuilder.Build(topology, agents, spec.Seed);
        var crossPartition = Enumerable.Range(0, agents).Sum(v => graph.Neighbours(v).ToArray().Count(u => u / (agents / 8) != v / (agents / 8)));
        Assert.True(crossPartition > 100, "the graph should have many edges between partitions");

        var runId = "probe-" + Guid.NewGuid().ToString("N")[..8];
        var simulation = fixture.Client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(spec);
        var status = await ClusterFixture.WaitAsync(simulation, s => s.State != SimulationState.Running, TimeSpan.FromMinutes(1));
        Assert.Equal(SimulationState.Completed, status.State);
        var results = await simulation.GetRoundsAsync(1);

        for (var r = 0; r < rounds; r++)
        {
            // Every agent sent one message per edge; the ones to strangers were refused.
            Assert.Equal(graph.Targets.Length, results[r].Messages);
            Assert.Equal(agents, results[r].DroppedMessages);
            Assert.Equal(r == 0 ? 0 : graph.Targets.Length, ((ProbeStats)results[r].Stats).Received);
        }

        for (var v = 0; v < agents; v++)
        {
            var snapshot = await fixture.Client.GetGrain<IAgentGrain>(v, runId).GetSnapshotAsync();
            Assert.Equal(graph.Neighbours(v).ToArray(), snapshot.Neighbours);
            Assert.Equal(rounds, snapshot.Memory.Length);
            for (var round = 1; round <= rounds; round++)
            {
                var expected = round == 1
                    ? string.Empty
                    : string.Join(",", graph.Neighbours(v).ToArray().Select(u => $"{u}={ProbeScenario.Text(round - 1, u, v)}"));
                Assert.Equal($"{round}|{expected}", snapshot.Memory[round - 1]);
            }
        }
    }

    [Fact]
    public async Task ARunCanBeCancelledMidRoundAndTheStatusSaysSo()
    {
        // Each agent would think for a minute; the run is cancelled while they wait.
        var spec = Guess(64, 3, 4) with { Policy = new PolicySpec(PolicyNames.DummyLatency, TimeSpan.FromMinutes(1), 0) };
        var simulation = fixture.Client.GetGrain<ISimulationGrain>("cancel-" + Guid.NewGuid().ToString("N")[..8]);
        await simulation.StartAsync(spec);
        var running = await ClusterFixture.WaitAsync(simulation, s => s.CurrentRound == 1, TimeSpan.FromSeconds(30));
        Assert.Equal(SimulationState.Running, running.State);

        await simulation.CancelAsync();
        var cancelled = await ClusterFixture.WaitAsync(simulation, s => s.State != SimulationState.Running, TimeSpan.FromSeconds(20));

        Assert.Equal(SimulationState.Cancelled, cancelled.State);
        Assert.Equal(0, cancelled.RoundsCompleted);
        Assert.True(cancelled.Elapsed < TimeSpan.FromSeconds(30), $"cancel should not wait out the agents' latency (took {cancelled.Elapsed})");
        Assert.Empty(await simulation.GetRoundsAsync(1));
    }

    [Fact]
    public async Task AStartWithImpossibleSettingsIsRefusedWithTheReason()
    {
        var simulation = fixture.Client.GetGrain<ISimulationGrain>("bad-" + Guid.NewGuid().ToString("N")[..8]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => simulation.StartAsync(Guess(0, 1, 1)));
        Assert.Contains("agents", error.Message);

        var unknown = fixture.Client.GetGrain<ISimulationGrain>("bad-" + Guid.NewGuid().ToString("N")[..8]);
        var policyError = await Assert.ThrowsAsync<ArgumentException>(() => unknown.StartAsync(Guess(10, 1, 1) with { Policy = new PolicySpec("oracle", TimeSpan.Zero, 0) }));
        Assert.Contains("oracle", policyError.Message);
    }

    internal static void AssertBitIdentical(GuessRoundStats expected, GuessRoundStats actual, string where)
    {
        var e = expected.Columns();
        var a = actual.Columns();
        for (var i = 0; i < e.Count; i++)
        {
            Assert.True(
                BitConverter.DoubleToInt64Bits(e[i].Value) == BitConverter.DoubleToInt64Bits(a[i].Value),
                $"{where}: {e[i].Key} expected {e[i].Value:R}, got {a[i].Value:R}");
        }

        Assert.Equal(expected.WinningGuess, actual.WinningGuess);
        Assert.Equal(expected.Histogram, actual.Histogram);
    }

    /// <summary>
    /// The same game played in a plain loop: agents in index order, one thread, no grains, messages handed over
    /// in lists, and statistics by the definitions (exact sums of 2^-32 ticks, sort for the median, scan for the winner).
    /// </summary>
    private static List<GuessRoundStats> ReferenceRun(RunSpec spec)
    {
        var config = (GuessTwoThirdsConfig)spec.Config;
        var graph = TopologyBuilder.Build(spec.Topology, spec.Agents, spec.Seed);
        var scenario = new GuessTwoThirdsScenario();
        var minds = new IAgentMind[spec.Agents];
        var inboxes = Enumerable.Range(0, spec.Agents).Select(_ => new List<InboxMessage>()).ToArray();
        ScenarioBroadcast? broadcast = null;
        var results = new List<GuessRoundStats>();
        for (var round = 1; round <= spec.Rounds; round++)
        {
            var context = new RoundContext("reference", round, spec.Seed, spec.Scenario, config, spec.Policy, broadcast);
            var next = Enumerable.Range(0, spec.Agents).Select(_ => new List<InboxMessage>()).ToArray();
            var guesses = new double[spec.Agents];
            for (var i = 0; i < spec.Agents; i++)
            {
                minds[i] ??= scenario.CreateMind(context, i);
                var turn = new AgentTurn(i, context, graph.Neighbours(i).ToArray(), [.. inboxes[i].OrderBy(m => m.From)]);
                var decision = minds[i].Heuristic(turn);
                minds[i].Remember(turn, decision);
                guesses[i] = decision.Action.Number;
                foreach (var message in decision.Outgoing ?? [])
                {
                    next[message.To].Add(new InboxMessage(i, message.Text));
                }
            }

            inboxes = next;
            var stats = ReferenceStats(config, guesses);
            results.Add(stats);
            broadcast = new GuessBroadcast(stats.Target);
        }

        return results;
    }

    private static GuessRoundStats ReferenceStats(GuessTwoThirdsConfig config, double[] guesses)
    {
        const double scale = 4294967296.0;
        var valid = guesses.Where(g => g >= 0 && g <= config.Max).Select(g => (long)Math.Round(g * scale)).OrderBy(t => t).ToArray();
        var n = valid.Length;
        BigInteger sum = 0, squares = 0;
        foreach (var t in valid)
        {
            sum += t;
            squares += (BigInteger)t * t;
        }

        var mean = (double)sum / n / scale;

        // The exact mean agrees with a plain floating-point mean of the same numbers.
        Assert.Equal(valid.Average(t => t / scale), mean, 9);
        var median = n % 2 == 1 ? valid[n / 2] / scale : ((double)valid[n / 2 - 1] + valid[n / 2]) / 2 / scale;
        var std = Math.Sqrt((double)(n * squares - sum * sum)) / n / scale;
        var target = config.Offset + config.Ratio * mean;
        var bestDistance = valid.Min(t => Math.Abs(t - target * scale));
        var winning = valid.First(t => Math.Abs(t - target * scale) == bestDistance);
        var winners = valid.Count(t => Math.Abs(t - target * scale) == bestDistance);
        var histogram = new long[config.HistogramBins];
        foreach (var t in valid)
        {
            histogram[Math.Min(config.HistogramBins - 1, (int)(t / (config.Max * scale / config.HistogramBins)))]++;
        }

        return new GuessRoundStats(target, n, guesses.Length - n, mean, median, std, valid[0] / scale, valid[^1] / scale, winning / scale, winners, histogram);
    }
}
