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
/// </summary>
[CollectionAgeLimit(Hours = 4)]
internal sealed partial class SimulationGrain(
    ScenarioCatalog scenarios,
    PolicyCatalog policies,
    IOptions<EngineOptions> options,
    IEnumerable<IRunRecorder> recorders,
    ILogger<SimulationGrain> logger) : Grain, ISimulationGrain
{
    private readonly IRunRecorder? _recorder = recorders.FirstOrDefault();

    private readonly List<RoundResult> _rounds = [];
    private readonly Stopwatch _clock = new();
    private readonly CancellationTokenSource _cancel = new();
    private RunSpec? _spec;
    private SimulationState _state = SimulationState.Pending;
    private string? _error;
    private int _currentRound;
    private TimeSpan _setupTime;
    private IPartitionGrain[] _partitions = [];

    public Task StartAsync(RunSpec spec)
    {
        if (_spec is not null)
        {
            throw new InvalidOperationException($"run '{this.GetPrimaryKeyString()}' was already started");
        }

        var problem = Validate(spec);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(spec));
        }

        var partitions = spec.Partitions > 0 ? spec.Partitions : options.Value.PartitionsFor(spec.Agents);
        _spec = spec with { Partitions = Math.Min(partitions, spec.Agents) };
        _state = SimulationState.Running;
        _clock.Start();
        // The loop catches everything and records it in the status, so nothing awaits it.
        _ = RunAsync(_spec, _cancel.Token);
        return Task.CompletedTask;
    }

    public async Task<SimulationStatus> GetStatusAsync()
    {
        long done = 0;
        if (_state == SimulationState.Running && _partitions.Length > 0)
        {
            var progress = await Task.WhenAll(_partitions.Select(p => p.GetProgressAsync()));
            done = progress.Sum(x => (long)x);
        }

        var spec = _spec;
        return new SimulationStatus(
            this.GetPrimaryKeyString(),
            _state,
            spec?.Agents ?? 0,
            spec?.Rounds ?? 0,
            spec?.Partitions ?? 0,
            _rounds.Count,
            _currentRound,
            done,
            _clock.Elapsed,
            _setupTime,
            _rounds.Count > 0 ? _rounds[^1] : null,
            _error);
    }

    public Task<RoundResult[]> GetRoundsAsync(int fromRound) =>
        Task.FromResult(_rounds.Skip(Math.Max(0, fromRound - 1)).ToArray());

    public Task CancelAsync()
    {
        if (_state is SimulationState.Running or SimulationState.Pending)
        {
            _cancel.Cancel();
        }

        return Task.CompletedTask;
    }

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

    private async Task RunAsync(RunSpec spec, CancellationToken cancellationToken)
    {
        var runId = this.GetPrimaryKeyString();
        try
        {
            // Let the loop start after StartAsync has returned to its caller.
            await Task.Yield();
            LogStarting(logger, runId, spec.Scenario, spec.Agents, spec.Rounds, spec.Partitions, spec.Policy.Name);
            var scenario = scenarios.Get(spec.Scenario);
            var recorder = spec.Log is { Directory: not null } ? _recorder : null;
            if (recorder is not null)
            {
                await recorder.StartedAsync(runId, spec);
            }

            await SetUpAsync(runId, spec, cancellationToken);

            ScenarioBroadcast? broadcast = null;
            for (var round = 1; round <= spec.Rounds; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                this.DelayDeactivation(TimeSpan.FromHours(4));
                _currentRound = round;
                var context = new RoundContext(runId, round, spec.Seed, spec.Scenario, spec.Config, spec.Policy, broadcast, spec.Agents, spec.Rounds, spec.Log);
                var started = Stopwatch.GetTimestamp();
                var results = await Task.WhenAll(_partitions.Select(p => p.StepAsync(context, cancellationToken)))
                    .WaitAsync(cancellationToken);

                var partials = results.Select(r => r.Partial).ToArray();
                var stats = await Task.Run(() => scenario.Merge(context, partials), cancellationToken);
                broadcast = scenario.NextBroadcast(context, stats);
                var result = new RoundResult(
                    round,
                    Stopwatch.GetElapsedTime(started),
                    results.Sum(r => (long)r.Agents),
                    results.Sum(r => r.Delivered),
                    results.Sum(r => r.Dropped),
                    stats,
                    results.Aggregate(0UL, (sum, r) => sum + r.StateHash));
                if (recorder is not null && round > spec.Log!.WriteAfter)
                {
                    await recorder.RoundEndedAsync(runId, spec, result);
                }

                _rounds.Add(result);
                LogRound(logger, runId, round, result.Elapsed.TotalSeconds);
                if (spec.Log is { StopAfter: > 0 } stop && round >= stop.StopAfter)
                {
                    break;
                }

                if (round < spec.Rounds && scenario.IsFinished(context, stats))
                {
                    LogFinishedEarly(logger, runId, round, spec.Rounds);
                    break;
                }
            }

            _state = SimulationState.Completed;
            LogFinished(logger, runId, _clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _state = SimulationState.Cancelled;
            LogCancelled(logger, runId, _currentRound);
        }
        catch (Exception ex)
        {
            _state = SimulationState.Failed;
            _error = ex is AggregateException { InnerException: { } inner } ? inner.Message : ex.Message;
            LogFailed(logger, ex, runId, _currentRound);
        }
        finally
        {
            if (spec.Log is { Directory: not null } && _recorder is not null)
            {
                try
                {
                    await _recorder.EndedAsync(runId, spec, _state, _rounds.Count, _error);
                }
                catch (Exception ex)
                {
                    LogLogFailed(logger, ex, runId);
                }
            }

            _currentRound = 0;
            _clock.Stop();
        }
    }

    private async Task SetUpAsync(string runId, RunSpec spec, CancellationToken cancellationToken)
    {
        var setupStarted = Stopwatch.GetTimestamp();

        // Building a graph of millions of nodes is plain CPU work: do it off the activation's turn.
        var graph = await Task.Run(() => TopologyBuilder.Build(spec.Topology, spec.Agents, spec.Seed), cancellationToken);
        var count = spec.Partitions;
        var bounds = new int[count + 1];
        for (var p = 0; p <= count; p++)
        {
            bounds[p] = (int)((long)spec.Agents * p / count);
        }

        var partitions = new IPartitionGrain[count];
        _partitions = partitions;
        var inits = new Task[count];
        for (var p = 0; p < count; p++)
        {
            partitions[p] = GrainFactory.GetGrain<IPartitionGrain>(p, runId);
            var first = bounds[p];
            var last = bounds[p + 1];
            var edgeStart = graph.Offsets[first];
            var offsets = new int[last - first + 1];
            for (var v = first; v <= last; v++)
            {
                offsets[v - first] = graph.Offsets[v] - edgeStart;
            }

            var targets = graph.Targets.AsSpan(edgeStart, graph.Offsets[last] - edgeStart).ToArray();
            inits[p] = partitions[p].InitializeAsync(new PartitionSetup(runId, p, spec, bounds, offsets, targets), cancellationToken);
        }

        await Task.WhenAll(inits).WaitAsync(cancellationToken);
        _setupTime = Stopwatch.GetElapsedTime(setupStarted);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId}: failed during round {Round}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string runId, int round);
}
