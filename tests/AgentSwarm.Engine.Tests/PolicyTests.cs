using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios.GuessTwoThirds;

namespace AgentSwarm.Engine.Tests;

public sealed class PolicyTests
{
    private static AgentTurn Turn(PolicySpec policy) =>
        new(3, new RoundContext("r", 1, 5, GuessTwoThirdsScenario.ScenarioName, GuessTwoThirdsConfig.Default, policy, null), [], []);

    [Fact]
    public async Task DummyLatencyAnswersAtRandomOnlyAfterItsLatency()
    {
        var time = new ManualTime();
        var policy = new DummyLatencyPolicy(time);
        var mind = new GuessAgentMind(GuessTwoThirdsConfig.Default, 5, 3);
        var turn = Turn(new PolicySpec(PolicyNames.DummyLatency, TimeSpan.FromSeconds(1), 0));

        var decision = policy.DecideAsync(mind, turn, CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(decision.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await decision;

        Assert.Equal(mind.Random(turn).Action, answer.Action);
    }

    [Fact]
    public async Task DummyLatencyStopsWaitingWhenCancelled()
    {
        var policy = new DummyLatencyPolicy(new ManualTime());
        using var cancel = new CancellationTokenSource();
        var mind = new GuessAgentMind(GuessTwoThirdsConfig.Default, 5, 3);
        var decision = policy.DecideAsync(mind, Turn(new PolicySpec(PolicyNames.DummyLatency, TimeSpan.FromHours(1), 0)), cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => decision);
    }

    [Fact]
    public async Task WaitsEndingInTheSameMillisecondShareOneTimerAndNoneEndsEarly()
    {
        var time = new ManualTime();
        var delays = new CoalescedDelays(time);
        using var cancel = new CancellationTokenSource();

        // A thousand waits begun in one millisecond: one slot. Half a millisecond later: the next slot, since a wait is
        // rounded up, never down. Another token: a slot of its own, so cancelling it touches no one else.
        var first = Enumerable.Range(0, 1000).Select(_ => delays.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ToArray();
        time.Advance(TimeSpan.FromMicroseconds(500));
        var later = delays.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        var cancelled = delays.Delay(TimeSpan.FromSeconds(1), cancel.Token);
        Assert.Equal(3, delays.Pending);
        Assert.All(first, t => Assert.Same(first[0], t));

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.DoesNotContain(first, t => t.IsCompleted);
        time.Advance(TimeSpan.FromMicroseconds(500)); // 1 s after the first waits began
        await Task.WhenAll(first);
        Assert.False(later.IsCompleted);
        Assert.Equal(2, delays.Pending);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        time.Advance(TimeSpan.FromMicroseconds(500));
        Assert.False(later.IsCompleted); // due at 1000.5 ms, its slot ends at 1001 ms
        time.Advance(TimeSpan.FromMicroseconds(500));
        await later;
        Assert.Equal(0, delays.Pending);
        Assert.True(delays.Delay(TimeSpan.Zero, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task HeuristicAndRandomPoliciesAskTheMind()
    {
        var mind = new GuessAgentMind(GuessTwoThirdsConfig.Default, 5, 3);
        var turn = Turn(PolicySpec.Heuristic);
        Assert.Equal(mind.Heuristic(turn).Action, (await new HeuristicPolicy().DecideAsync(mind, turn, default)).Action);
        Assert.Equal(mind.Random(turn).Action, (await new RandomPolicy().DecideAsync(mind, turn, default)).Action);
        Assert.NotEqual(mind.Heuristic(turn).Action, mind.Random(turn).Action);
    }

    /// <summary>A clock the test moves by hand; timers fire when it passes their due time.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private readonly List<Timer> _timers = [];
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        // Timestamps move with the clock too (in ticks since it started), as timers and delays measure by them.
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now.UtcTicks;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new Timer(this, callback, state);
            timer.Change(dueTime, period);
            lock (_timers)
            {
                _timers.Add(timer);
            }

            return timer;
        }

        public void Advance(TimeSpan by)
        {
            _now += by;
            Timer[] due;
            lock (_timers)
            {
                due = _timers.Where(t => t.Due is { } d && d <= _now).ToArray();
            }

            foreach (var timer in due)
            {
                timer.Fire();
            }
        }

        private sealed class Timer(ManualTime time, TimerCallback callback, object? state) : ITimer
        {
            public DateTimeOffset? Due { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : time._now + dueTime;
                return true;
            }

            public void Fire()
            {
                Due = null;
                callback(state);
            }

            public void Dispose() => Due = null;

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
