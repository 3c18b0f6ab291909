using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios.GuessTwoThirds;

namespace AgentSwarm.Scenarios.Tests;

public sealed class GuessTwoThirdsTests
{
    private static readonly GuessTwoThirdsConfig Config = GuessTwoThirdsConfig.Default;

    private static long[] Ticks(params double[] values) => values.Select(GuessStatistics.ToTicks).Order().ToArray();

    [Fact]
    public void StatisticsOfAHandWorkedRound()
    {
        var stats = GuessStatistics.Compute(Config with { HistogramBins = 4 }, Ticks(10, 20, 30, 40), invalid: 2);
        Assert.Equal(25, stats.Mean, 12);
        Assert.Equal(50.0 / 3.0, stats.Target, 12);
        Assert.Equal(25, stats.Median, 12);
        Assert.Equal(Math.Sqrt(125), stats.Std, 9);
        Assert.Equal(10, stats.Min);
        Assert.Equal(40, stats.Max);
        Assert.Equal(20, stats.WinningGuess, 9); // |20 - 16.67| < |10 - 16.67|
        Assert.Equal(1, stats.Winners);
        Assert.Equal(4, stats.Count);
        Assert.Equal(2, stats.Invalid);
        Assert.Equal([2L, 2, 0, 0], stats.Histogram); // bins of 25 over [0, 100]
    }

    [Fact]
    public void TiesForTheTargetAreAllWinners()
    {
        // Mean 30, target 20: 10 and 30 are both 10 away.
        var stats = GuessStatistics.Compute(Config, Ticks(10, 10, 30, 70), 0);
        Assert.Equal(20, stats.Target, 12);
        Assert.Equal(10, stats.WinningGuess, 9);
        Assert.Equal(3, stats.Winners);
    }

    [Fact]
    public void TheOffsetVariantTargetsCPlusRatioTimesTheMean()
    {
        var variant = Config with { Ratio = 0.5, Offset = 5 };
        Assert.Equal(10, variant.TargetFor(10)); // the equilibrium of "5 + 1/2 of the average"
        Assert.Equal(30, GuessStatistics.Compute(variant, Ticks(50, 50), 0).Target, 12);
    }

    [Fact]
    public void InvalidGuessesAreDroppedAndCounted()
    {
        var scenario = new GuessTwoThirdsScenario();
        var context = new RoundContext("r", 1, 1, scenario.Name, Config, PolicySpec.Heuristic, null);
        var partial = (GuessPartial)scenario.Reduce(context, 0, [new(50), new(double.NaN), new(-1), new(100.5), new(100), new(0)]);
        Assert.Equal(3, partial.Invalid);
        Assert.Equal(Ticks(0, 50, 100), partial.SortedTicks);
        var stats = (GuessRoundStats)scenario.Merge(context, [partial, GuessStatistics.Partial(Config, [], 1)]);
        Assert.Equal(3, stats.Count);
        Assert.Equal(4, stats.Invalid);
        Assert.Equal(new GuessBroadcast(stats.Target), scenario.NextBroadcast(context, stats));
    }

    [Fact]
    public void ARoundWithNoValidGuessKeepsThePreviousTarget()
    {
        var scenario = new GuessTwoThirdsScenario();
        var previous = new GuessBroadcast(12);
        var context = new RoundContext("r", 2, 1, scenario.Name, Config, PolicySpec.Heuristic, previous);
        var stats = (GuessRoundStats)scenario.Merge(context, [GuessStatistics.Partial(Config, [], 5)]);
        Assert.True(double.IsNaN(stats.Target));
        Assert.Same(previous, scenario.NextBroadcast(context, stats));
    }

    [Theory]
    [InlineData(3, 9, 200, 1000)]
    [InlineData(4, 30, 50, 7)]      // few distinct values: ties at the median and at the target
    [InlineData(5, 2, 1, 1)]
    [InlineData(6, 64, 400, 100_000)]
    public void StatisticsOverPartitionsRunsEqualThoseOfOneMergedRun(int seed, int partitions, int maxPerPartition, int distinct)
    {
        var rng = new Random(seed);
        var config = Config with { HistogramBins = 9 };
        var runs = Enumerable.Range(0, partitions)
            .Select(_ => Enumerable.Range(0, rng.Next(0, maxPerPartition + 1)).Select(_ => GuessStatistics.ToTicks(config.Max * rng.Next(0, distinct) / distinct)).ToArray())
            .ToArray();
        var parts = runs.Select((r, i) => GuessStatistics.Partial(config, [.. r], i % 3)).ToArray();

        var split = GuessStatistics.Compute(config, parts, parts.Sum(p => (long)p.Invalid));
        var whole = GuessStatistics.Compute(config, runs.SelectMany(r => r).Order().ToArray(), parts.Sum(p => (long)p.Invalid));

        Assert.Equal(whole.Count, split.Count);
        Assert.Equal(whole.Columns().Select(c => BitConverter.DoubleToInt64Bits(c.Value)), split.Columns().Select(c => BitConverter.DoubleToInt64Bits(c.Value)));
        Assert.Equal(whole.WinningGuess, split.WinningGuess);
        Assert.Equal(whole.Winners, split.Winners);
        Assert.Equal(whole.Histogram, split.Histogram);

        // And against a brute-force reading of all guesses together.
        var all = runs.SelectMany(r => r).Order().ToArray();
        if (all.Length > 0)
        {
            var n = all.Length;
            var median = n % 2 == 1 ? GuessStatistics.FromTicks(all[n / 2]) : ((double)all[n / 2 - 1] + all[n / 2]) / 2 / GuessStatistics.TickScale;
            Assert.Equal(BitConverter.DoubleToInt64Bits(median), BitConverter.DoubleToInt64Bits(split.Median));
            var targetTicks = split.Target * GuessStatistics.TickScale;
            var best = all.Min(t => Math.Abs(t - targetTicks));
            Assert.Equal(GuessStatistics.FromTicks(all.First(t => Math.Abs(t - targetTicks) == best)), split.WinningGuess);
            Assert.Equal(all.Count(t => Math.Abs(t - targetTicks) == best), split.Winners);
            Assert.Equal(GuessStatistics.FromTicks(all[0]), split.Min);
            Assert.Equal(GuessStatistics.FromTicks(all[^1]), split.Max);
        }
    }

    [Theory]
    [InlineData(5000, 100.0)]
    [InlineData(100_000, 100.0)]
    [InlineData(70_000, 1e9)]   // a wide range: more digits than guesses up to 100 need
    [InlineData(9000, 0.001)]   // a narrow one: a single digit
    public void TicksSortLikeAComparisonSort(int count, double max)
    {
        var rng = new Random(count);
        var ticks = Enumerable.Range(0, count).Select(_ => GuessStatistics.ToTicks(Math.Round(rng.NextDouble() * max, rng.Next(0, 4)))).ToArray();
        var expected = ticks.Order().ToArray();
        GuessStatistics.SortTicks(ticks);
        Assert.Equal(expected, ticks);
    }

    [Fact]
    public void LevelKPlayersWithoutNoiseAnswerRatioToTheKTimesHalfTheMaximum()
    {
        var config = Config with { Noise = 0, AdaptiveShare = 0, LevelWeights = [0, 0, 0, 1] };
        var mind = new GuessAgentMind(config, 1, 0);
        Assert.Equal(3, mind.Level);
        var context = new RoundContext("r", 1, 1, GuessTwoThirdsScenario.ScenarioName, config, PolicySpec.Heuristic, null);
        var decision = mind.Heuristic(new AgentTurn(0, context, [], []));
        Assert.Equal(50 * Math.Pow(2.0 / 3.0, 3), decision.Action.Number, 12);

        // From round 2 the anchor is the previous target.
        var next = context with { Round = 2, Broadcast = new GuessBroadcast(30) };
        Assert.Equal(30 * Math.Pow(2.0 / 3.0, 3), mind.Heuristic(new AgentTurn(0, next, [], [])).Action.Number, 12);
    }

    [Fact]
    public void AdaptivePlayersMoveTowardTheLastTarget()
    {
        var config = Config with { Noise = 0, AdaptiveShare = 1, AdaptRate = 0.5, LevelWeights = [0, 1] };
        var mind = new GuessAgentMind(config, 1, 0);
        var first = new RoundContext("r", 1, 1, GuessTwoThirdsScenario.ScenarioName, config, PolicySpec.Heuristic, null);
        var turn = new AgentTurn(0, first, [], []);
        var opening = mind.Heuristic(turn);
        mind.Remember(turn, opening);
        Assert.Equal(100.0 / 3.0, opening.Action.Number, 12);

        var second = first with { Round = 2, Broadcast = new GuessBroadcast(10) };
        var moved = mind.Heuristic(new AgentTurn(0, second, [], []));
        Assert.Equal((100.0 / 3.0 + 10) / 2, moved.Action.Number, 12);
    }

    [Fact]
    public void WithMessagingAgentsTellEveryNeighbourTheirGuess()
    {
        var config = Config with { Messaging = GuessMessaging.Neighbours };
        var mind = new GuessAgentMind(config, 1, 4);
        var context = new RoundContext("r", 1, 1, GuessTwoThirdsScenario.ScenarioName, config, PolicySpec.Heuristic, null);
        var decision = mind.Random(new AgentTurn(4, context, [1, 7, 9], []));
        Assert.Equal([1, 7, 9], decision.Outgoing!.Select(m => m.To));
        Assert.All(decision.Outgoing!, m => Assert.Equal(decision.Action.Number, double.Parse(m.Text, System.Globalization.CultureInfo.InvariantCulture)));

        // The number rides with the text, exactly; a reader decides the same from either (a message rebuilt from the
        // log has the text only), and a message whose text is no number is not heard.
        Assert.All(decision.Outgoing!, m => Assert.Equal(decision.Action.Number, m.Number));

        // An adaptive agent (the ones who weigh what they hear), after a first round of its own.
        var adaptive = Enumerable.Range(0, 1000).First(i => new GuessAgentMind(config, 1, i).Adaptive);
        var next = context with { Round = 2, Broadcast = new GuessBroadcast(30) };
        GuessAgentMind Reader()
        {
            var reader = new GuessAgentMind(config, 1, adaptive);
            var first = new AgentTurn(adaptive, context, [4, 5], []);
            reader.Remember(first, reader.Heuristic(first));
            return reader;
        }

        InboxMessage[] withNumbers = [.. decision.Outgoing!.Take(1).Select(m => new InboxMessage(4, m.Text, m.Number)), new InboxMessage(5, "71.25", 71.25)];
        InboxMessage[] textOnly = [.. withNumbers.Select(m => new InboxMessage(m.From, m.Text))];
        var heard = Reader().Heuristic(new AgentTurn(adaptive, next, [4, 5], withNumbers)).Action.Number;
        Assert.Equal(heard, Reader().Heuristic(new AgentTurn(adaptive, next, [4, 5], textOnly)).Action.Number);
        Assert.Equal(heard, Reader().Heuristic(new AgentTurn(adaptive, next, [4, 5, 6], [.. textOnly, new InboxMessage(6, "no idea")])).Action.Number);
        Assert.NotEqual(heard, Reader().Heuristic(new AgentTurn(adaptive, next, [4, 5], [])).Action.Number);
    }

    [Fact]
    public void MemoryIsBoundedToTheConfiguredRounds()
    {
        var config = Config with { Memory = 3 };
        var mind = new GuessAgentMind(config, 1, 0);
        for (var round = 1; round <= 7; round++)
        {
            var turn = new AgentTurn(0, new RoundContext("r", round, 1, GuessTwoThirdsScenario.ScenarioName, config, PolicySpec.Heuristic, null), [], []);
            mind.Remember(turn, mind.Heuristic(turn));
        }

        var memory = mind.DescribeMemory();
        Assert.Equal(3, memory.Length);
        Assert.StartsWith("round 5:", memory[0]);
        Assert.StartsWith("round 7:", memory[2]);
    }
}
