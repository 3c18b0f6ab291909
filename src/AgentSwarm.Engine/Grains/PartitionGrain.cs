using System.Diagnostics;
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
/// actions into the scenario's partial aggregate. Every so many rounds it saves its agents' minds, their idle
/// flags and the round's mail in one grain-storage write (two slots, so the checkpoint before the latest survives a
/// round that fails half-way), from which a run that lost a silo restores it.
/// Agents live either in grains of their own (hosting grain: one call per agent per round) or here (hosting packed:
/// the partition holds their minds and steps them in process with the same policy and mind code, so a round is one
/// call per partition and both give the same results).
/// </summary>
[AgentsPlacement]
[CollectionAgeLimit(Hours = 4)]
internal sealed partial class PartitionGrain(
    ScenarioCatalog scenarios,
    PolicyCatalog policies,
    IEnumerable<IRunRecorder> recorders,
    ILocalSiloDetails silo,
    [PersistentState("checkpoint-0", EngineOptions.StorageName)] IPersistentState<PartitionCheckpoint> slot0,
    [PersistentState("checkpoint-1", EngineOptions.StorageName)] IPersistentState<PartitionCheckpoint> slot1,
    ILogger<PartitionGrain> logger) : Grain, IPartitionGrain
{
    private readonly IRunRecorder? _recorder = recorders.FirstOrDefault();

    /// <summary>Agents a partition activates at once during set-up: activation is CPU work, more in flight only queues.</summary>
    private const int SetUpConcurrency = 64;

    /// <summary>A synchronous run of agents gives the activation back this often, so progress and mail calls interleave.</summary>
    private const int YieldEvery = 1 << 16;

    /// <summary>Workers a step launches between giving the activation back (see ForEachAgentAsync).</summary>
    private const int LaunchYieldEvery = 256;

    private PartitionSetup? _setup;
    private int[][] _neighbours = [];

    // Packed hosting: the agents' minds and the round each last stepped (null: agents are grains).
    private IAgentMind[]? _minds;
    private int[] _lastRounds = [];

    // The round's actions, reused from round to round (the reduction reads them before the step returns).
    private AgentAction[] _actions = [];

    // Agents that said they are idle until mail arrives, and the action each last returned (kept while skipped).
    private bool[] _idle = [];
    private AgentAction[] _lastActions = [];
    private int _first;

    // Mail delivered for coming rounds, and this partition's own outgoing mail (both reused from round to round).
    private Mailroom _mail = new(0, 0);
    private Outbox? _outbox;
    private int _progress;
    private int _epoch;

    // With checkpoints on: the saved mind of each agent that went idle (it may be skipped in a checkpoint's round).
    private byte[]?[]? _idleStates;

    // After a restore: the checkpoint round's mail, sent again once every partition has restored.
    private MessageBatch? _redeliver;
    private int _redeliverRound;

    public async Task<string> InitializeAsync(PartitionSetup setup, CancellationToken cancellationToken)
    {
        SetUp(setup, epoch: 0);

        // Create the population now: activation is the costliest thing an agent does, and belongs to set-up, not to round 1.
        var spec = setup.Spec;
        var context = new RoundContext(setup.RunId, 0, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds, spec.Log);
        if (_minds is { } minds)
        {
            var scenario = scenarios.Get(spec.Scenario);
            await ForEachAgentAsync(1, i =>
            {
                minds[i] = scenario.CreateMind(context, _first + i);
                return ValueTask.CompletedTask;
            }, cancellationToken);
        }
        else
        {
            await ForEachAgentAsync(SetUpConcurrency, i =>
                new ValueTask(GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).InitializeAsync(context, _neighbours[i])), cancellationToken);
        }

        LogInitialized(logger, setup.RunId, setup.Index, _first, _neighbours.Length);
        return silo.SiloAddress.ToString();
    }

    public async Task<string> RestoreAsync(PartitionSetup setup, int round, int epoch, int logRound, CancellationToken cancellationToken)
    {
        SetUp(setup, epoch);
        if (_recorder is not null && setup.Spec.Log is { Directory: not null })
        {
            await _recorder.RollBackAsync(setup.RunId, setup.Spec, setup.Index, logRound);
        }

        var spec = setup.Spec;
        var context = new RoundContext(setup.RunId, round, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds, spec.Log, epoch);
        PartitionCheckpoint? checkpoint = null;
        if (round > 0)
        {
            var slot = Slot(round, setup.CheckpointEvery);
            await slot.ReadStateAsync();
            checkpoint = slot.State;
            if (checkpoint.Round != round || checkpoint.MindOffsets.Length != _neighbours.Length + 1)
            {
                throw new InvalidOperationException(
                    $"run {setup.RunId}: partition {setup.Index} has no checkpoint of round {round} in grain storage (found round {checkpoint.Round}, {Math.Max(0, checkpoint.MindOffsets.Length - 1)} agents)");
            }

            Array.Copy(checkpoint.Idle, _idle, _idle.Length);
            for (var i = 0; i < _idle.Length; i++)
            {
                _lastActions[i] = _idle[i] ? new AgentAction(checkpoint.IdleNumbers[i], checkpoint.IdleTexts[i]) : default;
            }

            _redeliver = checkpoint.Sent;
            _redeliverRound = round + 1;
        }

        // Every agent gets its saved mind back (or a fresh one): those of a lost silo are activated anew here, the
        // others are overwritten, so every mind is as it was after the checkpoint's round.
        if (_minds is { } minds)
        {
            var scenario = scenarios.Get(spec.Scenario);
            await ForEachAgentAsync(1, i =>
            {
                var mind = minds[i] = scenario.CreateMind(context, _first + i);
                if (checkpoint is not null)
                {
                    var start = checkpoint.MindOffsets[i];
                    MindState.Restore(mind, checkpoint.Minds, start, checkpoint.MindOffsets[i + 1] - start);
                }

                _lastRounds[i] = round;
                return ValueTask.CompletedTask;
            }, cancellationToken);
            LogRestored(logger, setup.RunId, setup.Index, round, epoch);
            return silo.SiloAddress.ToString();
        }

        await ForEachAgentAsync(SetUpConcurrency, async i =>
        {
            byte[]? state = null;
            if (checkpoint is not null)
            {
                var start = checkpoint.MindOffsets[i];
                state = checkpoint.Minds.AsSpan(start, checkpoint.MindOffsets[i + 1] - start).ToArray();
                if (_idleStates is not null && _idle[i])
                {
                    _idleStates[i] = state;
                }
            }

            await GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).RestoreAsync(context, _neighbours[i], state, round);
        }, cancellationToken);
        LogRestored(logger, setup.RunId, setup.Index, round, epoch);
        return silo.SiloAddress.ToString();
    }

    public async Task RedeliverAsync(int epoch)
    {
        if (epoch != _epoch || _redeliver is not { } mail || _setup is not { } setup)
        {
            return;
        }

        _redeliver = null;
        var outbox = new Outbox(setup.Bounds);
        for (var m = 0; m < mail.Count; m++)
        {
            outbox.AddChecked(mail.From[m], mail.To[m], mail.Text[m], mail.Numbers[m]);
        }

        await SendAsync(setup, outbox, epoch, _redeliverRound);
    }

    public async Task EndLogAsync()
    {
        if (_setup is { Spec.Log.Directory: not null } setup && _recorder is not null)
        {
            await _recorder.PartitionEndedAsync(setup.RunId, setup.Index);
        }
    }

    public async Task ReleaseAsync()
    {
        if (_setup is { } setup)
        {
            if (_minds is null)
            {
                await ForEachAgentAsync(SetUpConcurrency, i => new ValueTask(GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).ReleaseAsync()), CancellationToken.None);
            }

            if (setup.CheckpointEvery > 0)
            {
                await slot0.ClearStateAsync();
                await slot1.ClearStateAsync();
            }
        }

        _setup = null;
        _neighbours = [];
        _minds = null;
        _lastRounds = [];
        _actions = [];
        _idle = [];
        _lastActions = [];
        _idleStates = null;
        _mail = new Mailroom(0, 0);
        _outbox = null;
        DeactivateOnIdle();
    }

    private IPersistentState<PartitionCheckpoint> Slot(int round, int every) => (round / Math.Max(1, every)) % 2 == 0 ? slot0 : slot1;

    private void SetUp(PartitionSetup setup, int epoch)
    {
        _setup = setup;
        _epoch = epoch;
        _redeliver = null;
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

        var packed = setup.Spec.Hosting == AgentHosting.Packed;
        _minds = packed ? new IAgentMind[count] : null;
        _lastRounds = packed ? new int[count] : [];
        _actions = new AgentAction[count];

        // Grain-hosted agents that go idle hand over their saved mind then, as they may be skipped in a checkpoint's
        // round; packed minds are saved where they are.
        _idleStates = setup.CheckpointEvery > 0 && !packed ? new byte[]?[count] : null;
        _mail = new Mailroom(_first, count);
        _outbox = new Outbox(setup.Bounds);
    }

    public async Task<PartitionStepResult> StepAsync(RoundContext context, CancellationToken cancellationToken)
    {
        // Without its set-up this activation is a new one: the silo that held the partition's agents was lost and
        // something (a progress poll, this step) activated it again, empty. That is a silo loss the controller
        // recovers from its checkpoint, not a fault of the run.
        var setup = _setup ?? throw new AgentStateLostException(
            $"partition {this.GetPrimaryKeyLong(out var runId)} of run {runId} was re-activated without its agents in round {context.Round}: restore the run from a checkpoint");
        using var activity = ActivityContext.TryParse(context.TraceParent, null, out var parent)
            ? AgentSwarmTelemetry.Source.StartActivity("agentswarm.partition.step", ActivityKind.Internal, parent)
            : AgentSwarmTelemetry.Source.StartActivity("agentswarm.partition.step");
        activity?.SetTag("agentswarm.run.id", context.RunId).SetTag("agentswarm.round", context.Round).SetTag("agentswarm.partition", setup.Index)
            .SetTag("agentswarm.agents", _neighbours.Length);
        var scenario = scenarios.Get(context.Scenario);
        var policy = policies.Get(context.Policy.Name);
        var count = _neighbours.Length;
        var inboxes = _mail.Take(context.Round);
        var actions = _actions;
        var outbox = _outbox!;
        outbox.Reset();
        var lastRound = context.Round >= setup.Spec.Rounds;
        var stepped = 0;
        var checkpoint = setup.CheckpointEvery > 0 && context.Round % setup.CheckpointEvery == 0;
        var minds = _minds;
        var states = checkpoint && minds is null ? new byte[]?[count] : null;

        // A logged run (or a replay) keeps what each agent sent, for the log and the round's state hash.
        var log = setup.Spec.Log;
        var sent = log is not null ? new OutgoingMessage[]?[count] : null;

        // What every agent's turn leaves behind, however it is hosted.
        void Collect(int i, AgentAction action, OutgoingMessage[]? outgoing, bool idle)
        {
            stepped++;
            actions[i] = action;
            _idle[i] = idle;
            if (idle)
            {
                _lastActions[i] = action;
            }

            if (outgoing is { Length: > 0 })
            {
                outbox.Add(_first + i, _neighbours[i], outgoing);
                if (sent is not null)
                {
                    sent[i] = outgoing;
                }
            }
        }

        // Agent i's mail this round (none when nobody wrote to the partition).
        Inbox InboxOf(int i) => inboxes?.Of(i) ?? default;

        // Idle with no mail: nothing it could do would change, so it keeps its last action.
        bool Skip(int i, Inbox inbox)
        {
            if (_idle[i] && inbox.Length == 0 && !lastRound)
            {
                actions[i] = _lastActions[i];
                return true;
            }

            return false;
        }

        // Packed: the partition runs the agent's turn itself, as the agent grain would (AgentGrain.StepAsync).
        async ValueTask StepPackedAsync(int i, IAgentMind mind, Inbox inbox, ValueTask<AgentDecision> pending)
        {
            var decision = await pending;
            FinishPacked(i, mind, inbox, decision);
        }

        void FinishPacked(int i, IAgentMind mind, Inbox inbox, AgentDecision decision)
        {
            mind.Remember(new AgentTurn(_first + i, context, _neighbours[i], inbox), decision);
            _lastRounds[i] = context.Round;
            Collect(i, decision.Action, decision.Outgoing, decision.Idle);
        }

        ValueTask StepPacked(int i)
        {
            var inbox = InboxOf(i);
            if (Skip(i, inbox))
            {
                return ValueTask.CompletedTask;
            }

            var mind = minds![i];
            var pending = policy.DecideAsync(mind, new AgentTurn(_first + i, context, _neighbours[i], inbox), cancellationToken);
            if (!pending.IsCompletedSuccessfully)
            {
                return StepPackedAsync(i, mind, inbox, pending);
            }

            FinishPacked(i, mind, inbox, pending.Result);
            return ValueTask.CompletedTask;
        }

        async ValueTask StepGrainAsync(int i)
        {
            var inbox = InboxOf(i);
            if (Skip(i, inbox))
            {
                return;
            }

            var step = new AgentStep(context, inbox.ToArray(), _neighbours[i], checkpoint, _idleStates is not null);

            // References are made per call, not kept: a million cached references would cost ~100 bytes an agent.
            var result = await GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).StepAsync(step, cancellationToken);
            if (_idleStates is not null)
            {
                _idleStates[i] = result.Idle ? result.State : null;
            }

            if (states is not null)
            {
                states[i] = result.State;
            }

            Collect(i, result.Action, result.Outgoing, result.Idle);
        }

        // Packed agents that only wait and then answer, all at once: grouped by the timer slot their wait ends in, and
        // answered a slot at a time, with nothing allocated per agent (a million 1-second waits, a thousand slots).
        async Task StepWaitingAsync(IWaitThenDecidePolicy waiting)
        {
            _progress = 0;
            var slots = new List<(Task Slot, List<int> Agents)>();
            var run = 0;
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var inbox = InboxOf(i);
                if (Skip(i, inbox))
                {
                    _progress++;
                    continue;
                }

                var wait = waiting.WaitAsync(waiting.Wait(new AgentTurn(_first + i, context, _neighbours[i], inbox)), cancellationToken);
                if (wait.IsCompletedSuccessfully)
                {
                    FinishWaited(waiting, i, inbox);
                }
                else if (slots.Count > 0 && ReferenceEquals(slots[^1].Slot, wait))
                {
                    slots[^1].Agents.Add(i);
                }
                else
                {
                    slots.Add((wait, [i]));
                }

                if (++run == YieldEvery)
                {
                    run = 0;
                    await SiloTurns.YieldAsync();
                }
            }

            foreach (var (slot, agents) in slots)
            {
                await slot;
                foreach (var i in agents)
                {
                    FinishWaited(waiting, i, InboxOf(i));
                }
            }
        }

        void FinishWaited(IWaitThenDecidePolicy waiting, int i, Inbox inbox)
        {
            var mind = minds![i];
            FinishPacked(i, mind, inbox, waiting.Decide(mind, new AgentTurn(_first + i, context, _neighbours[i], inbox)));
            _progress++;
        }

        var concurrency = Concurrency(setup.Spec, count);
        if (minds is not null && policy is IWaitThenDecidePolicy waitThenDecide && concurrency >= count)
        {
            await StepWaitingAsync(waitThenDecide);
        }
        else
        {
            await ForEachAgentAsync(concurrency, minds is not null ? StepPacked : StepGrainAsync, cancellationToken);
        }

        ulong hash = 0;
        if (log is not null)
        {
            for (var i = 0; i < count; i++)
            {
                hash += StateHash.Agent(_first + i, actions[i], sent![i]);
            }

            await RecordAsync(setup, context.Round, actions, sent!, hash, cancellationToken);
        }

        if (checkpoint)
        {
            await SaveCheckpointAsync(setup, context.Round, states, outbox);
        }

        // Hand over next round's mail before returning: the controller starts the next round only after every
        // partition has returned, so every message of round r is in its mailbox before round r + 1 begins.
        await SendAsync(setup, outbox, context.Epoch, context.Round + 1);
        var partial = scenario.Reduce(context, _first, actions);
        return new PartitionStepResult(partial, stepped, outbox.Delivered, outbox.Dropped, hash);
    }

    private async Task SendAsync(PartitionSetup setup, Outbox outbox, int epoch, int round)
    {
        var deliveries = new List<Task>();
        for (var p = 0; p < outbox.Partitions; p++)
        {
            var batch = outbox.Take(p);
            if (batch is null)
            {
                continue;
            }

            if (p == setup.Index)
            {
                Accept(round, batch);
            }
            else
            {
                deliveries.Add(GrainFactory.GetGrain<IPartitionGrain>(p, setup.RunId).DeliverAsync(epoch, round, batch));
            }
        }

        await Task.WhenAll(deliveries);
    }

    /// <summary>One write: every agent's mind (a skipped idle agent's as it went idle), the idle flags and the round's mail.</summary>
    /// <param name="states">Grain-hosted agents' saved minds, as their steps returned them; null when the minds are packed here.</param>
    private async Task SaveCheckpointAsync(PartitionSetup setup, int round, byte[]?[]? states, Outbox outbox)
    {
        var count = _neighbours.Length;
        var offsets = new int[count + 1];
        byte[] bytes;
        if (_minds is { } minds)
        {
            using var buffer = new MemoryStream();
            using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                for (var i = 0; i < count; i++)
                {
                    minds[i].Save(writer);
                    writer.Flush();
                    offsets[i + 1] = checked((int)buffer.Length);
                }
            }

            bytes = buffer.ToArray();
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                states![i] ??= _idleStates?[i] ?? throw new InvalidOperationException($"run {setup.RunId}: agent {_first + i} has no saved mind for the checkpoint of round {round}");
                offsets[i + 1] = offsets[i] + states[i]!.Length;
            }

            bytes = new byte[offsets[count]];
            for (var i = 0; i < count; i++)
            {
                states![i]!.CopyTo(bytes, offsets[i]);
            }
        }

        var numbers = new double[count];
        var texts = new string?[count];
        for (var i = 0; i < count; i++)
        {
            if (_idle[i])
            {
                numbers[i] = _lastActions[i].Number;
                texts[i] = _lastActions[i].Text;
            }
        }

        var slot = Slot(round, setup.CheckpointEvery);
        slot.State = new PartitionCheckpoint
        {
            Round = round,
            Minds = bytes,
            MindOffsets = offsets,
            Idle = [.. _idle],
            IdleNumbers = numbers,
            IdleTexts = texts,
            Sent = outbox.All(),
        };
        await slot.WriteStateAsync();
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
            if (_minds is { } minds)
            {
                for (var i = 0; i < snapshots.Length; i++)
                {
                    snapshots[i] = AgentSnapshots.Of(_first + i, _neighbours[i], _lastRounds[i], minds[i]);
                }
            }
            else
            {
                await ForEachAgentAsync(SetUpConcurrency, async i =>
                {
                    snapshots[i] = await GrainFactory.GetGrain<IAgentGrain>(_first + i, setup.RunId).GetSnapshotAsync();
                }, cancellationToken);
            }
            await _recorder.SnapshotsAsync(setup.RunId, setup.Spec, setup.Index, round, snapshots);
        }
    }

    /// <summary>
    /// Runs the body for every local agent, at most <paramref name="concurrency"/> at once (rule 2: bounded fan-out),
    /// counting progress. All on this activation's scheduler, so the body needs no locks. Bodies that finish at once
    /// (packed heuristic agents) run back to back with nothing allocated, giving the activation back now and then.
    /// </summary>
    private async Task ForEachAgentAsync(int concurrency, Func<int, ValueTask> body, CancellationToken cancellationToken)
    {
        var count = _neighbours.Length;
        var next = 0;
        _progress = 0;
        async Task WorkAsync()
        {
            var run = 0;
            while (next < count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var pending = body(next++);
                if (pending.IsCompletedSuccessfully)
                {
                    pending.GetAwaiter().GetResult();
                    if (++run == YieldEvery)
                    {
                        run = 0;
                        await SiloTurns.YieldAsync();
                    }
                }
                else
                {
                    await pending;
                    run = 0;
                }

                _progress++;
            }
        }

        var workers = new Task[Math.Clamp(concurrency, 1, Math.Max(1, count))];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = WorkAsync();

            // Each worker runs its first agent up to its first wait (an LLM call, say) before this loop goes on: give
            // the thread back now and then, so the calls already made start on their way while the rest are launched.
            if ((w + 1) % LaunchYieldEvery == 0)
            {
                await SiloTurns.YieldAsync();
            }
        }

        await Task.WhenAll(workers);
    }

    public Task<AgentSnapshot> GetAgentSnapshotAsync(int agent)
    {
        var local = agent - _first;
        if (_minds is not { } minds || _setup is not { } setup || local < 0 || local >= minds.Length || minds[local] is not { } mind)
        {
            throw new InvalidOperationException(
                _setup is null
                    ? $"partition {this.GetPrimaryKeyLong(out var runId)} of run {runId} holds no agents (the run was released, or never started here)"
                    : $"agent {agent} is not packed in partition {_setup.Index} of run {_setup.RunId}");
        }

        return Task.FromResult(AgentSnapshots.Of(agent, _neighbours[local], _lastRounds[local], mind));
    }

    public Task DeliverAsync(int epoch, int round, MessageBatch batch)
    {
        // Mail of an attempt abandoned when a silo was lost must not reach the rounds that run again.
        if (epoch == _epoch)
        {
            Accept(round, batch);
        }

        return Task.CompletedTask;
    }

    public Task<int> GetProgressAsync() => Task.FromResult(_progress);

    private void Accept(int round, MessageBatch batch) => _mail.Accept(round, batch);

    private int Concurrency(RunSpec spec, int count)
    {
        var policy = policies.Get(spec.Policy.Name);
        var perRun = spec.Policy.Concurrency > 0
            ? spec.Policy.Concurrency
            : policy.RunConcurrency(spec.Policy, packed: _minds is not null);
        var partitions = Math.Max(1, spec.Partitions);
        return Math.Clamp((perRun + partitions - 1) / partitions, 1, Math.Max(1, count));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId}: partition {Partition} owns agents {First} + {Count}")]
    private static partial void LogInitialized(ILogger logger, string runId, int partition, int first, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: partition {Partition} restored to round {Round} (epoch {Epoch})")]
    private static partial void LogRestored(ILogger logger, string runId, int partition, int round, int epoch);
}
