using System.Diagnostics;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Logging;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Engine.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Engine.Grains;

/// <summary>
/// The scenario controller of one run: builds the population's graph, hands each partition its agents and
/// edges, then drives the rounds, merging the partitions' partial aggregates in partition order.
/// The rounds run as a background loop on this activation, so status and cancel calls are answered mid-round.
/// Its record (spec, rounds finished, last checkpoint) is in grain storage after every round: when a silo is lost
/// the controller rolls every partition back to the last checkpoint and goes on; when its own silo is lost, a
/// watchdog wakes it on another silo and it does the same from the record. A controller deactivated under its loop (its
/// silo shutting down gracefully) is the same case: the loop stops without ending the run, which a silo that stays
/// takes up from the record (on a cluster with more than one agents silo).
/// </summary>
[CollectionAgeLimit(Hours = 4)]
[AgentsPlacement]
internal sealed partial class SimulationGrain(
    ScenarioCatalog scenarios,
    PolicyCatalog policies,
    IOptions<EngineOptions> options,
    IEnumerable<IRunRecorder> recorders,
    IEnumerable<IRunResources> resources,
    ILocalSiloDetails silo,
    TimeProvider time,
    [PersistentState("run", EngineOptions.StorageName)] IPersistentState<RunRecord> record,
    [PersistentState("spec", EngineOptions.StorageName)] IPersistentState<RunSpecRecord> specRecord,
    ILogger<SimulationGrain> logger) : Grain, ISimulationGrain
{
    /// <summary>How long a recovery keeps trying to restore the partitions while the cluster settles on who is alive.</summary>
    private static readonly TimeSpan RecoveryPatience = TimeSpan.FromMinutes(2);

    private readonly IRunRecorder? _recorder = recorders.FirstOrDefault();
    private readonly CancellationTokenSource _cancel = new();
    private Task? _loop;
    private int _currentRound;
    private IPartitionGrain[] _partitions = [];
    private IGrainTimer? _releaseTimer;
    private bool _released;
    private Task? _finishing;

    // Why this activation is being deactivated, when that happens while its loop runs (its silo shutting down): the loop
    // stops stepping and leaves the run as the record has it, running, for a controller on another silo.
    private volatile string? _leaving;

    /// <summary>The record, with the spec from its own state (stored apart, as the record is rewritten every round).</summary>
    private RunRecord Record
    {
        get
        {
            var state = record.State;
            state.Spec ??= specRecord.State.Spec;
            return state;
        }
    }

    private string RunId => this.GetPrimaryKeyString();

    public async Task StartAsync(RunSpec spec)
    {
        if (Record.Spec is not null)
        {
            throw new InvalidOperationException($"run '{RunId}' was already started");
        }

        var problem = Validate(spec);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(spec));
        }

        var partitions = spec.Partitions > 0 ? spec.Partitions : options.Value.PartitionsFor(spec.Agents);
        spec = spec with
        {
            Partitions = Math.Min(partitions, spec.Agents),
            Hosting = spec.Hosting == AgentHosting.Auto ? policies.Get(spec.Policy.Name).DefaultHosting : spec.Hosting,
        };
        if (spec.Log is { Directory: { } directory } log && !Path.IsPathRooted(directory))
        {
            // A cluster run's log goes under the log root every silo shares.
            spec = spec with { Log = log with { Directory = Path.GetFullPath(Path.Combine(options.Value.LogRoot, directory)) } };
        }

        specRecord.State = new RunSpecRecord { Spec = spec };
        await specRecord.WriteStateAsync();
        record.State = new RunRecord
        {
            Spec = spec,
            State = SimulationState.Running,
            CreatedUtc = time.GetUtcNow().UtcDateTime,
            CheckpointEvery = options.Value.CheckpointEvery,
        };
        await record.WriteStateAsync();
        await ReportAsync();

        // The loop catches everything and records it, so nothing awaits it.
        _loop = RunAsync(resume: false, _cancel.Token);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_loop is { IsCompleted: false })
        {
            _leaving = reason.ToString();
        }

        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    public Task<SimulationState> EnsureRunningAsync()
    {
        if (Record is { State: SimulationState.Running, Spec: not null } && _loop is null)
        {
            // This activation is new and the run is not over: its controller was lost with its silo.
            _loop = RunAsync(resume: true, _cancel.Token);
        }

        return Task.FromResult(Record.State);
    }

    public async Task<SimulationStatus> GetStatusAsync()
    {
        long done = 0;
        if (Record.State == SimulationState.Running && _partitions.Length > 0)
        {
            try
            {
                // Bounded: a partition on a silo being lost must not hold up a status call.
                var progress = await Task.WhenAll(_partitions.Select(p => p.GetProgressAsync())).WaitAsync(TimeSpan.FromSeconds(2));
                done = progress.Sum(x => (long)x);
            }
            catch (Exception ex) when (ex is TimeoutException || Failures.IsSiloLoss(ex))
            {
                done = 0;
            }
        }

        var spec = Record.Spec;
        var rounds = Record.Rounds;
        return new SimulationStatus(
            RunId,
            spec is null ? SimulationState.Pending : Record.State,
            spec?.Agents ?? 0,
            spec?.Rounds ?? 0,
            spec?.Partitions ?? 0,
            rounds.Count,
            _currentRound,
            done,
            Elapsed(),
            Record.SetupTime,
            rounds.Count > 0 ? rounds[^1] : null,
            Record.Error);
    }

    public Task<RunInfo?> GetInfoAsync() => Task.FromResult(Record.Spec is { } spec
        ? new RunInfo(RunId, spec, silo.SiloAddress.ToString(), Record.PartitionSilos, [.. Record.Recoveries], Record.CheckpointEvery, Record.CheckpointRound, Record.CreatedUtc, Record.Llm)
        : null);

    public Task<RoundResult[]> GetRoundsAsync(int fromRound) =>
        Task.FromResult(Record.Rounds.Skip(Math.Max(0, fromRound - 1)).ToArray());

    public async Task CancelAsync()
    {
        if (Record.State is not (SimulationState.Running or SimulationState.Pending))
        {
            return;
        }

        if (_loop is not null)
        {
            _cancel.Cancel();
            return;
        }

        // Nobody drives the run on this activation (its controller was lost and not yet woken): end it here.
        await FinishAsync(SimulationState.Cancelled, null);
    }

    private TimeSpan Elapsed() =>
        Record.Spec is null ? TimeSpan.Zero : (Record.FinishedUtc ?? time.GetUtcNow().UtcDateTime) - Record.CreatedUtc;

    private string? Validate(RunSpec spec)
    {
        if (spec.Agents <= 0 || spec.Agents > RunSpec.MaxAgents)
        {
            return $"agents must be in 1..{RunSpec.MaxAgents} (got {spec.Agents})";
        }

        if (spec.Rounds <= 0)
        {
            return $"rounds must be at least 1 (got {spec.Rounds})";
        }

        if (!Enum.IsDefined(spec.Hosting))
        {
            return $"unknown hosting '{spec.Hosting}' (expected grain or packed)";
        }

        if (spec.Partitions < 0)
        {
            return $"partitions must be positive, or 0 for automatic (got {spec.Partitions})";
        }

        if (!scenarios.Names.Contains(spec.Scenario))
        {
            return $"unknown scenario '{spec.Scenario}' (known: {string.Join(", ", scenarios.Names)})";
        }

        if (!policies.Names.Contains(spec.Policy.Name))
        {
            return $"unknown policy '{spec.Policy.Name}' (known: {string.Join(", ", policies.Names)})";
        }

        return TopologyBuilder.Validate(spec.Topology, spec.Agents) ?? scenarios.Get(spec.Scenario).Validate(spec);
    }

    /// <summary>
    /// The spec the partitions run now. After a recovery, rounds the log already holds are not written again, and
    /// LLM calls of rounds it holds are answered from it (those of the interrupted round where it has them).
    /// </summary>
    private RunSpec Effective()
    {
        var spec = Record.Spec!;
        if (Record.Epoch == 0 || spec.Log is not { Directory: { } directory } log)
        {
            return spec;
        }

        var logged = Record.Rounds.Count;
        if (log.ReplayFrom is not null && log.ReplayFrom != directory)
        {
            return spec with { Log = log with { WriteAfter = Math.Max(log.WriteAfter, logged) } };
        }

        return spec with
        {
            Log = log with
            {
                WriteAfter = Math.Max(log.WriteAfter, logged),
                ReplayFrom = directory,
                ReplayUntil = Math.Max(log.ReplayUntil, logged),
                ReplayPartial = logged + 1,
            },
        };
    }

    private async Task RunAsync(bool resume, CancellationToken cancellationToken)
    {
        var runId = RunId;
        var spec = Record.Spec!;
        var tags = AgentSwarmTelemetry.RunTags(spec);
        using var runActivity = AgentSwarmTelemetry.Source.StartActivity("agentswarm.run");
        runActivity?.SetTag("agentswarm.run.id", runId).SetTag("agentswarm.scenario", spec.Scenario).SetTag("agentswarm.agents", spec.Agents)
            .SetTag("agentswarm.rounds", spec.Rounds).SetTag("agentswarm.policy", spec.Policy.Name).SetTag("agentswarm.partitions", spec.Partitions)
            .SetTag("agentswarm.resumed", resume);
        try
        {
            // Let the loop start after the call that started it has returned to its caller.
            await Task.Yield();
            var scenario = scenarios.Get(spec.Scenario);
            if (resume)
            {
                LogPickedUp(logger, runId, silo.SiloAddress.ToString(), Record.Rounds.Count);
                await RecoverAsync(Record.Rounds.Count + 1, $"controller lost; picked up on {silo.SiloAddress}", cancellationToken);
            }
            else
            {
                LogStarting(logger, runId, spec.Scenario, spec.Agents, spec.Rounds, spec.Partitions, spec.Policy.Name);
                if (spec.Log is { Directory: not null } && _recorder is not null)
                {
                    await _recorder.StartedAsync(runId, spec);
                }

                await SetUpAsync(runId, spec, cancellationToken);
            }

            var round = Record.CheckpointRound + 1;
            while (round <= spec.Rounds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_leaving is { } why)
                {
                    LogLeaving(logger, runId, round, why);
                    return;
                }

                this.DelayDeactivation(TimeSpan.FromHours(4));
                _currentRound = round;
                var effective = Effective();
                var broadcast = round == 1 ? scenario.FirstBroadcast(Context(effective, 1, null)) : scenario.NextBroadcast(Context(effective, round - 1, null), Record.Rounds[round - 2].Stats);
                using var roundActivity = AgentSwarmTelemetry.Source.StartActivity("agentswarm.round");
                roundActivity?.SetTag("agentswarm.run.id", runId).SetTag("agentswarm.round", round);
                var context = Context(effective, round, broadcast, roundActivity?.Id);
                var started = Stopwatch.GetTimestamp();
                PartitionStepResult[] results;
                try
                {
                    results = await Task.WhenAll(_partitions.Select(p => p.StepAsync(context, cancellationToken))).WaitAsync(cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _leaving is null && Failures.IsSiloLoss(ex))
                {
                    LogSiloLost(logger, runId, round, Failures.Describe(ex));
                    await RecoverAsync(round, Failures.Describe(ex), cancellationToken);
                    round = Record.CheckpointRound + 1;
                    continue;
                }

                var partials = results.Select(r => r.Partial).ToArray();
                var stats = await Task.Run(() => scenario.Merge(context, partials), cancellationToken);
                var result = new RoundResult(
                    round,
                    Stopwatch.GetElapsedTime(started),
                    results.Sum(r => (long)r.Agents),
                    results.Sum(r => r.Delivered),
                    results.Sum(r => r.Dropped),
                    stats,
                    results.Aggregate(0UL, (sum, r) => sum + r.StateHash));
                roundActivity?.SetTag("agentswarm.agent_steps", result.AgentSteps).SetTag("agentswarm.messages", result.Messages);
                AgentSwarmTelemetry.Rounds.Add(1, tags);
                AgentSwarmTelemetry.AgentSteps.Add(result.AgentSteps, tags);
                AgentSwarmTelemetry.Messages.Add(result.Messages, tags);
                AgentSwarmTelemetry.RoundDuration.Record(result.Elapsed.TotalSeconds, tags);
                if (round <= Record.Rounds.Count)
                {
                    // A round run again after a recovery must come out as it did the first time.
                    Failures.CheckSame(runId, Record.Rounds[round - 1], result);
                }
                else
                {
                    if (_recorder is not null && effective.Log is { Directory: not null } log && round > log.WriteAfter)
                    {
                        await _recorder.RoundEndedAsync(runId, effective, result);
                    }

                    Record.Rounds.Add(result);
                    LogRound(logger, runId, round, result.Elapsed.TotalSeconds);
                }

                if (Record.CheckpointEvery > 0 && round % Record.CheckpointEvery == 0)
                {
                    Record.CheckpointRound = round;
                }

                await record.WriteStateAsync();
                if (spec.Log is { StopAfter: > 0 } stop && round >= stop.StopAfter)
                {
                    break;
                }

                if (round < spec.Rounds && scenario.IsFinished(context, stats))
                {
                    LogFinishedEarly(logger, runId, round, spec.Rounds);
                    break;
                }

                round++;
            }

            await FinishAsync(SimulationState.Completed, null);
            LogFinished(logger, runId, Elapsed().TotalSeconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogCancelled(logger, runId, _currentRound);
            await FinishAsync(SimulationState.Cancelled, null);
        }
        catch (Exception ex) when (_leaving is { } why && !cancellationToken.IsCancellationRequested)
        {
            // This activation was deactivated under the loop (its silo shutting down: its calls fail, its state is gone):
            // the record still says running, so the watchdog on a silo that stays wakes the controller there, from the
            // last checkpoint. Recording a failure here would end a run that nothing is wrong with.
            LogLeaving(logger, runId, _currentRound, $"{why}; then {Failures.Describe(ex)}");
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex, runId, _currentRound);
            await FinishAsync(SimulationState.Failed, ex is AggregateException { InnerException: { } inner } ? inner.Message : ex.Message);
        }
    }

    private RoundContext Context(RunSpec spec, int round, ScenarioBroadcast? broadcast, string? traceParent = null) =>
        new(RunId, round, spec.Seed, spec.Scenario, spec.Config, spec.Policy, broadcast, spec.Agents, spec.Rounds, spec.Log, Record.Epoch, traceParent);

    /// <summary>Records how the run ended, closes its log, drops its per-run state on the silos, and lets the agents go.</summary>
    private async Task FinishAsync(SimulationState state, string? error)
    {
        // A client sees the final state as soon as it is set below and may release the run at once; the release waits
        // for the rest of this (the record written, the registry told), so nothing runs on a deactivated controller.
        var finishing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _finishing = finishing.Task;
        try
        {
            await FinishCoreAsync(state, error);
        }
        finally
        {
            finishing.TrySetResult();
        }
    }

    private async Task FinishCoreAsync(SimulationState state, string? error)
    {
        var runId = RunId;
        var spec = Effective();
        _currentRound = 0;
        try
        {
            foreach (var resource in resources)
            {
                Record.Llm = await resource.ReleaseAsync(runId, spec) ?? Record.Llm;
            }
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, ex, runId);
        }

        if (spec.Log is { Directory: not null } && _recorder is not null)
        {
            try
            {
                // Each silo closes its partitions' streams (a partition on a lost silo has none open to close).
                await Task.WhenAll(_partitions.Select(p => p.EndLogAsync())).WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex)
            {
                LogLogFailed(logger, ex, runId);
            }

            try
            {
                await _recorder.EndedAsync(runId, spec, state, Record.Rounds.Count, error);
            }
            catch (Exception ex)
            {
                LogLogFailed(logger, ex, runId);
            }
        }

        Record.State = state;
        Record.Error = error;
        Record.FinishedUtc = time.GetUtcNow().UtcDateTime;
        try
        {
            await record.WriteStateAsync();
            await ReportAsync();
        }
        catch (Exception ex)
        {
            LogLogFailed(logger, ex, runId);
        }

        // A long-lived silo runs many runs: this one's agents and partitions go once clients had time to read them.
        if (!_released)
        {
            _releaseTimer = this.RegisterGrainTimer(ReleaseAsync, options.Value.ReleaseAfter, Timeout.InfiniteTimeSpan);
        }
    }

    public async Task ReleaseAsync()
    {
        if (Record.Spec is not { } spec || Record.State is SimulationState.Running or SimulationState.Pending || _released)
        {
            return;
        }

        _released = true;
        if (_finishing is { } finishing)
        {
            await finishing;
        }

        _releaseTimer?.Dispose();
        var partitions = _partitions.Length > 0
            ? _partitions
            : [.. Enumerable.Range(0, spec.Partitions).Select(p => GrainFactory.GetGrain<IPartitionGrain>(p, RunId))];
        _partitions = [];
        try
        {
            await Task.WhenAll(partitions.Select(p => p.ReleaseAsync())).WaitAsync(TimeSpan.FromMinutes(10));
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, ex, RunId);
        }

        // The record is in grain storage: a later status or info call reads it back into a fresh activation.
        DeactivateOnIdle();
    }

    private Task ReportAsync() =>
        GrainFactory.GetGrain<IRunRegistryGrain>(IRunRegistryGrain.Key).UpdateAsync(new RunEntry(
            RunId, Record.Spec!.Scenario, Record.Spec.Agents, Record.Spec.Rounds, Record.State, Record.CreatedUtc, time.GetUtcNow().UtcDateTime));

    private async Task SetUpAsync(string runId, RunSpec spec, CancellationToken cancellationToken)
    {
        var setupStarted = Stopwatch.GetTimestamp();
        var every = Record.CheckpointEvery;
        var setups = await Task.Run(() => Setups(runId, spec, every), cancellationToken);
        _partitions = [.. setups.Select(s => GrainFactory.GetGrain<IPartitionGrain>(s.Index, runId))];
        var silos = await Task.WhenAll(setups.Select(s => _partitions[s.Index].InitializeAsync(s, cancellationToken))).WaitAsync(cancellationToken);
        Record.PartitionSilos = silos;
        Record.SetupTime = Stopwatch.GetElapsedTime(setupStarted);
        await record.WriteStateAsync();
    }

    /// <summary>Each partition's agents and edges: the graph is a pure function of the spec, so a recovery builds the same.</summary>
    private static PartitionSetup[] Setups(string runId, RunSpec spec, int checkpointEvery)
    {
        var graph = TopologyBuilder.Build(spec.Topology, spec.Agents, spec.Seed);
        var count = spec.Partitions;
        var bounds = spec.PartitionBounds();

        var setups = new PartitionSetup[count];
        for (var p = 0; p < count; p++)
        {
            var first = bounds[p];
            var last = bounds[p + 1];
            var edgeStart = graph.Offsets[first];
            var offsets = new int[last - first + 1];
            for (var v = first; v <= last; v++)
            {
                offsets[v - first] = graph.Offsets[v] - edgeStart;
            }

            var targets = graph.Targets.AsSpan(edgeStart, graph.Offsets[last] - edgeStart).ToArray();
            setups[p] = new PartitionSetup(runId, p, spec, bounds, offsets, targets, checkpointEvery);
        }

        return setups;
    }

    /// <summary>
    /// A silo was lost in round <paramref name="round"/> (or the controller was): every partition goes back to the
    /// last checkpoint, on the silos that are left, in a new epoch; the log is cut back to its last complete round.
    /// </summary>
    private async Task RecoverAsync(int round, string reason, CancellationToken cancellationToken)
    {
        var runId = RunId;
        var noticed = time.GetUtcNow().UtcDateTime;
        if (Record.Recoveries.Count >= options.Value.MaxRecoveries)
        {
            throw new InvalidOperationException($"run {runId} lost silos {Record.Recoveries.Count} times, more than AgentSwarm:Engine:MaxRecoveries allows; last: {reason}");
        }

        var checkpoint = Record.CheckpointRound;
        var logged = Record.Rounds.Count;
        var patience = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Record.Epoch++;
            var spec = Effective();
            try
            {
                if (_recorder is not null && spec.Log is { Directory: not null })
                {
                    await _recorder.RollBackAsync(runId, spec, -1, logged);
                }

                var every = Record.CheckpointEvery;
                var setups = await Task.Run(() => Setups(runId, spec, every), cancellationToken);
                _partitions = [.. setups.Select(s => GrainFactory.GetGrain<IPartitionGrain>(s.Index, runId))];
                var silos = await Task.WhenAll(setups.Select(s => _partitions[s.Index].RestoreAsync(s, checkpoint, Record.Epoch, logged, cancellationToken)))
                    .WaitAsync(cancellationToken);
                await Task.WhenAll(_partitions.Select(p => p.RedeliverAsync(Record.Epoch))).WaitAsync(cancellationToken);
                Record.PartitionSilos = silos;
                Record.Recoveries.Add(new RunRecovery(round, checkpoint, reason, noticed, time.GetUtcNow().UtcDateTime, silos));
                await record.WriteStateAsync();
                LogRecovered(logger, runId, round, checkpoint, Record.Epoch, patience.Elapsed.TotalSeconds);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Failures.IsSiloLoss(ex) && patience.Elapsed < RecoveryPatience)
            {
                // The cluster has not yet declared the lost silo dead, so calls still go its way: wait and try again.
                LogRecoveryRetry(logger, runId, Failures.Describe(ex));
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {Scenario}, {Agents} agents, {Rounds} rounds, {Partitions} partitions, policy {Policy}")]
    private static partial void LogStarting(ILogger logger, string runId, string scenario, int agents, int rounds, int partitions, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: round {Round} took {Seconds:F3} s")]
    private static partial void LogRound(ILogger logger, string runId, int round, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: finished in {Seconds:F3} s")]
    private static partial void LogFinished(ILogger logger, string runId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: every agent finished after round {Round} of {Rounds}; ending early")]
    private static partial void LogFinishedEarly(ILogger logger, string runId, int round, int rounds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: cancelled during round {Round}")]
    private static partial void LogCancelled(ILogger logger, string runId, int round);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: the event log could not be closed")]
    private static partial void LogLogFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: releasing the run's state on the silos failed")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: its controller was deactivated during round {Round} ({Reason}); the run stays running for a controller on a silo that stays, from its last checkpoint")]
    private static partial void LogLeaving(ILogger logger, string runId, int round, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: failed during round {Round}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string runId, int round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: a silo was lost during round {Round} ({Reason}); rolling back to the last checkpoint")]
    private static partial void LogSiloLost(ILogger logger, string runId, int round, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: controller picked up on {Silo} after {Rounds} complete rounds")]
    private static partial void LogPickedUp(ILogger logger, string runId, string silo, int rounds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: recovered from the loss in round {Round}: back to checkpoint {Checkpoint}, epoch {Epoch}, after {Seconds:F1} s")]
    private static partial void LogRecovered(ILogger logger, string runId, int round, int checkpoint, int epoch, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: restoring partitions failed ({Reason}); trying again")]
    private static partial void LogRecoveryRetry(ILogger logger, string runId, string reason);
}

/// <summary>Which failures mean a lost silo (the run recovers) rather than a fault of the run (it fails).</summary>
internal static class Failures
{
    public static bool IsSiloLoss(Exception exception) => Walk(exception).Any(e =>
        e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or AgentStateLostException
        || e.GetType().Name is "ConnectionFailedException" or "ClientNotAvailableException" or "GatewayTooBusyException");

    public static string Describe(Exception exception)
    {
        var first = Walk(exception).FirstOrDefault(e => IsSiloLoss(e) && e.InnerException is null) ?? exception;
        return $"{first.GetType().Name}: {first.Message}";
    }

    public static void CheckSame(string runId, RoundResult recorded, RoundResult again)
    {
        var columns = recorded.Stats.Columns().Select(c => c.Value);
        var same = recorded.StateHash == again.StateHash
            && recorded.AgentSteps == again.AgentSteps
            && recorded.Messages == again.Messages
            && columns.SequenceEqual(again.Stats.Columns().Select(c => c.Value), EqualityComparer<double>.Create((a, b) => a.Equals(b), v => v.GetHashCode()));
        if (!same)
        {
            throw new InvalidOperationException(
                $"run {runId}: round {recorded.Round} ran again after a lost silo and came out differently (state hash {recorded.StateHash:x16} then {again.StateHash:x16}): the run is not deterministic");
        }
    }

    private static IEnumerable<Exception> Walk(Exception exception)
    {
        var stack = new Stack<Exception>([exception]);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    stack.Push(inner);
                }
            }
            else if (e.InnerException is not null)
            {
                stack.Push(e.InnerException);
            }
        }
    }
}
