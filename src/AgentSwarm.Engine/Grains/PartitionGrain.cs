using Orleans.Placement;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Logging;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Engine.Grains;

/// <summary>
/// The post office and stepper for a contiguous range of agents. It steps its agents with bounded parallelism,
/// groups their messages by destination partition (one batch per destination per round), and reduces their
/// actions into the scenario's partial aggregate.
/// </summary>
[RandomPlacement]
[CollectionAgeLimit(Hours = 4)]
internal sealed partial class PartitionGrain(
    ScenarioCatalog scenarios,
    PolicyCatalog policies,
    IEnumerable<IRunRecorder> recorders,
    ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    private readonly IRunRecorder? _recorder = recorders.FirstOrDefault();

    private static readonly InboxMessage[] NoMail = [];

    /// <summary>Agents a partition activates at once during set-up: activation is CPU work, more in flight only queues.</summary>
    private const int SetUpConcurrency = 64;

    private PartitionSetup? _setup;
    private int[][] _neighbours = [];

    // Agents that said they are idle until mail arrives, and the action each last returned (kept while skipped).
    private bool[] _idle = [];
    private AgentAction[] _lastActions = [];
    private int _first;
    private readonly Dictionary<int, List<MessageBatch>> _mail = [];
    private int _progress;

    public async Task InitializeAsync(PartitionSetup setup, CancellationToken cancellationToken)
    {
        _setup = setup;
        _first = setup.Bounds[setup.Index];
        var count = setup.Bounds[setup.Index + 1] - _first;
        _neighbours = new int[count][];
        _idle = new bool[count];
        _lastActions = new AgentAction[count];
        for (var i = 0; i < count; i++)
        {
            var length = setup.Offsets[i + 1] - setup.Offsets[i];
            _neighbours[i] = length == 0 ? [] : setup.Targets.AsSpan(setup.Offsets[i], length).ToArray();
        }

        _mail.Clear();

        // Create the population now: activation is the costliest thing an agent does, and belongs to set-up, not to round 1.
        var spec = setup.Spec;
        var context = new RoundContext(setup.RunId, 0, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds, spec.Log);
        await ForEachAgentAsync(SetUpConcurrency, async i =>
        {
            await GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).InitializeAsync(context, _neighbours[i]);
        }, cancellationToken);
        LogInitialized(logger, setup.RunId, setup.Index, _first, count);
    }

    public async Task<PartitionStepResult> StepAsync(RoundContext context, CancellationToken cancellationToken)
    {
        var setup = _setup ?? throw new InvalidOperationException("partition stepped before it was initialised");
        var scenario = scenarios.Get(context.Scenario);
        var count = _neighbours.Length;
        var inboxes = TakeInboxes(context.Round);
        var actions = new AgentAction[count];
        var outbox = new Outbox(setup.Bounds);
        var lastRound = context.Round >= setup.Spec.Rounds;
        var stepped = 0;

        // A logged run (or a replay) keeps what each agent sent, for the log and the round's state hash.
        var log = setup.Spec.Log;
        var sent = log is not null ? new OutgoingMessage[]?[count] : null;

        await ForEachAgentAsync(Concurrency(setup.Spec, count), async i =>
        {
            var inbox = inboxes?[i] ?? NoMail;
            if (_idle[i] && inbox.Length == 0 && !lastRound)
            {
                // Idle with no mail: nothing it could do would change, so it keeps its last action.
                actions[i] = _lastActions[i];
                return;
            }

            var step = new AgentStep(context, inbox, _neighbours[i]);

            // References are made per call, not kept: a million cached references would cost ~100 bytes an agent.
            var result = await GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).StepAsync(step, cancellationToken);
            stepped++;
            actions[i] = result.Action;
            _idle[i] = result.Idle;
            if (result.Idle)
            {
                _lastActions[i] = result.Action;
            }

            if (result.Outgoing is { Length: > 0 } outgoing)
            {
                outbox.Add(_first + i, _neighbours[i], outgoing);
                if (sent is not null)
                {
                    sent[i] = outgoing;
                }
            }
        }, cancellationToken);

        ulong hash = 0;
        if (log is not null)
        {
            for (var i = 0; i < count; i++)
            {
                hash += StateHash.Agent(_first + i, actions[i], sent![i]);
            }

            await RecordAsync(setup, context.Round, actions, sent!, hash, cancellationToken);
        }

        // Hand over next round's mail before returning: the controller starts the next round only after every
        // partition has returned, so every message of round r is in its mailbox before round r + 1 begins.
        var deliveries = new List<Task>();
        for (var p = 0; p < outbox.Batches.Length; p++)
        {
            var batch = outbox.Take(p);
            if (batch is null)
            {
                continue;
            }

            if (p == setup.Index)
            {
                Accept(context.Round + 1, batch);
            }
            else
            {
                deliveries.Add(GrainFactory.GetGrain<IPartitionGrain>(p, setup.RunId).DeliverAsync(context.Round + 1, batch));
            }
        }

        await Task.WhenAll(deliveries);
        var partial = scenario.Reduce(context, _first, actions);
        return new PartitionStepResult(partial, stepped, outbox.Delivered, outbox.Dropped, hash);
    }

    /// <summary>Writes the round's records (and, every so many rounds, the agents' memories) before the round counts as done.</summary>
    private async Task RecordAsync(PartitionSetup setup, int round, AgentAction[] actions, OutgoingMessage[]?[] sent, ulong hash, CancellationToken cancellationToken)
    {
        var log = setup.Spec.Log!;
        if (_recorder is null || log.Directory is null || round <= log.WriteAfter)
        {
            return;
        }

        await _recorder.PartitionRoundAsync(setup.RunId, setup.Spec, setup.Index, round, _first, actions, sent, hash);
        if (log.SnapshotEvery > 0 && (round % log.SnapshotEvery == 0 || round == setup.Spec.Rounds))
        {
            var snapshots = new AgentSnapshot[_neighbours.Length];
            await ForEachAgentAsync(SetUpConcurrency, async i =>
            {
                snapshots[i] = await GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).GetSnapshotAsync();
            }, cancellationToken);
            await _recorder.SnapshotsAsync(setup.RunId, setup.Spec, setup.Index, round, snapshots);
        }
    }

    /// <summary>
    /// Runs the body for every local agent, at most <paramref name="concurrency"/> at once (rule 2: bounded fan-out),
    /// counting progress. All on this activation's scheduler, so the body needs no locks.
    /// </summary>
    private async Task ForEachAgentAsync(int concurrency, Func<int, Task> body, CancellationToken cancellationToken)
    {
        var count = _neighbours.Length;
        var next = 0;
        _progress = 0;
        async Task WorkAsync()
        {
            while (next < count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await body(next++);
                _progress++;
            }
        }

        var workers = new Task[Math.Clamp(concurrency, 1, Math.Max(1, count))];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = WorkAsync();
        }

        await Task.WhenAll(workers);
    }

    public Task DeliverAsync(int round, MessageBatch batch)
    {
        Accept(round, batch);
        return Task.CompletedTask;
    }

    public Task<int> GetProgressAsync() => Task.FromResult(_progress);

    private void Accept(int round, MessageBatch batch)
    {
        if (!_mail.TryGetValue(round, out var list))
        {
            _mail[round] = list = [];
        }

        list.Add(batch);
    }

    private int Concurrency(RunSpec spec, int count)
    {
        var perRun = spec.Policy.Concurrency > 0
            ? spec.Policy.Concurrency
            : policies.Get(spec.Policy.Name).DefaultRunConcurrency;
        var partitions = Math.Max(1, spec.Partitions);
        return Math.Clamp((perRun + partitions - 1) / partitions, 1, Math.Max(1, count));
    }

    /// <summary>This round's mail, one inbox per local agent, each sorted by sender so arrival order never shows.</summary>
    private InboxMessage[][]? TakeInboxes(int round)
    {
        // Mail for earlier rounds can only be left over from a cancelled round: drop it.
        foreach (var stale in _mail.Keys.Where(r => r < round).ToList())
        {
            _mail.Remove(stale);
        }

        if (!_mail.Remove(round, out var batches))
        {
            return null;
        }

        var count = _neighbours.Length;
        var sizes = new int[count];
        foreach (var batch in batches)
        {
            foreach (var to in batch.To)
            {
                sizes[to - _first]++;
            }
        }

        var inboxes = new InboxMessage[count][];
        for (var i = 0; i < count; i++)
        {
            inboxes[i] = sizes[i] == 0 ? NoMail : new InboxMessage[sizes[i]];
            sizes[i] = 0;
        }

        foreach (var batch in batches)
        {
            for (var m = 0; m < batch.Count; m++)
            {
                var local = batch.To[m] - _first;
                inboxes[local][sizes[local]++] = new InboxMessage(batch.From[m], batch.Text[m]);
            }
        }

        foreach (var inbox in inboxes)
        {
            if (inbox.Length > 1)
            {
                Array.Sort(inbox, static (x, y) => x.From.CompareTo(y.From));
            }
        }

        return inboxes;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId}: partition {Partition} owns agents {First} + {Count}")]
    private static partial void LogInitialized(ILogger logger, string runId, int partition, int first, int count);

    /// <summary>Outgoing mail of one step, grouped by destination partition.</summary>
    private sealed class Outbox(int[] bounds)
    {
        public Builder?[] Batches { get; } = new Builder?[bounds.Length - 1];

        public long Delivered { get; private set; }

        public long Dropped { get; private set; }

        public void Add(int from, int[] neighbours, OutgoingMessage[] outgoing)
        {
            foreach (var message in outgoing)
            {
                // An agent speaks only along its own edges; the post office refuses anything else.
                if (neighbours.AsSpan().BinarySearch(message.To) < 0)
                {
                    Dropped++;
                    continue;
                }

                var p = PartitionOf(message.To);
                (Batches[p] ??= new Builder()).Add(from, message.To, message.Text);
                Delivered++;
            }
        }

        public MessageBatch? Take(int partition) => Batches[partition]?.Build();

        private int PartitionOf(int agent)
        {
            var i = Array.BinarySearch(bounds, agent);
            if (i < 0)
            {
                return ~i - 1;
            }

            // Several partitions may start at the same index when some are empty: take the last.
            while (i + 1 < bounds.Length - 1 && bounds[i + 1] == agent)
            {
                i++;
            }

            return i;
        }

        public sealed class Builder
        {
            private readonly List<int> _from = [];
            private readonly List<int> _to = [];
            private readonly List<string> _text = [];

            public void Add(int from, int to, string text)
            {
                _from.Add(from);
                _to.Add(to);
                _text.Add(text);
            }

            public MessageBatch Build() => new([.. _from], [.. _to], [.. _text]);
        }
    }
}
