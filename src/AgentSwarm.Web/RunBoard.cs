using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Replay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace AgentSwarm.Web;

/// <summary>A run as the console lists it.</summary>
/// <param name="Id">The run's folder under the runs folder; stays the same when the run is resumed.</param>
/// <param name="Live">Whether this console is following it now.</param>
/// <param name="Resumable">Stopped before its last round with a log to resume from.</param>
public sealed record RunEntry(
    string Id,
    string Scenario,
    string State,
    int Agents,
    int RoundsPlanned,
    int RoundsCompleted,
    int CurrentRound,
    long CurrentRoundAgentsDone,
    double WallSeconds,
    double SetupSeconds,
    DateTime StartedUtc,
    bool Live,
    bool HasLog,
    bool Resumable,
    string? Policy,
    string? Source,
    string? Error,
    LlmSummary.EndpointCounters? Llm);

/// <summary>A server-sent event: its name (run, round, llm, end) and JSON data.</summary>
public sealed record ConsoleEvent(string Name, string Data);

/// <summary>
/// Every run the console knows: the ones it started (followed live, their events fanned out to every page watching)
/// and the finished ones in its runs folder, from their files. Starting a run writes the same folder `agentswarm run`
/// writes (rounds.jsonl, rounds.csv, summary.json, the log, the scenario's result files).
/// </summary>
public sealed partial class RunBoard(IClusterClient client, IServiceProvider services, ConsoleOptions options, ILogger<RunBoard> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LiveRun> _live = new(StringComparer.Ordinal);

    // Runs whose files say they were still going when a console stopped following them, and that the cluster no longer
    // has (it was restarted without durable storage): why they are shown stopped.
    private readonly ConcurrentDictionary<string, string> _gone = new(StringComparer.Ordinal);

    // Detached runs someone watches: completed once this console follows the run again or finds it gone.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _settled = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private const int WatcherCapacity = 4096;

    private readonly Lock _registry = new();
    private int _disposed;

    public string Folder { get; } = Path.GetFullPath(options.Runs);

    /// <summary>
    /// Raised after a run this console follows starts, advances or ends, and after a run is deleted: a cue for
    /// watchers of the whole board (the Aspire resource service) to look again. Runs other processes write into the
    /// folder raise nothing; such watchers also look now and then.
    /// </summary>
    public event Action? Changed;

    /// <summary>The run files' JSON conventions, with quotes and apostrophes left readable.</summary>
    internal static JsonSerializerOptions Json { get; } = new(RunOutput.Json) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Starts a validated run; its id is its new folder's name.</summary>
    public RunEntry Start(RunSpec spec, string? source)
    {
        CheckOpen();
        var id = RunJobs.NewRunId(spec.Scenario);
        var directory = Path.Combine(Folder, id);
        spec = spec with { Log = new RunLogSpec(options.Cluster ? Path.Combine(id, "log") : Path.Combine(directory, "log")) };
        var follower = TryLockFollower(directory) ?? throw FollowedElsewhere(id);
        return Follow(new LiveRun(id, id, spec, directory, source, DateTime.UtcNow) { Follower = follower });
    }

    /// <summary>Resumes a stopped run from its log, in its own folder, under the same id.</summary>
    public RunEntry Resume(string id)
    {
        CheckOpen();

        // One resume of a run at a time: a second would cut the log back while the first appends to it.
        lock (_registry)
        {
            if (_live.TryGetValue(CheckId(id), out var current) && !current.Finished)
            {
                throw new ConsoleProblem(409, $"run '{id}' is still running");
            }

            if (Get(id).State == "detached")
            {
                throw new ConsoleProblem(409, $"run '{id}' was still going in the cluster when a console stopped following it: this console follows it again once the cluster answers for it (or cancel it there: agentswarm cancel {DetachedGrain(id) ?? id} --cluster ...)");
            }

            // Before the log is looked at or cut back: another console following this run keeps it.
            var follower = TryLockFollower(RunFolder(id)) ?? throw FollowedElsewhere(id);
            try
            {
                var log = OpenLog(id) ?? throw new ConsoleProblem(409, $"run '{id}' has no event log to resume from");
                if (RunJobs.WhyNotResumable(log) is { } why)
                {
                    throw new ConsoleProblem(409, why);
                }

                RunSpec spec;
                try
                {
                    spec = RunJobs.PrepareResume(log, services.GetRequiredService<Serializer>());
                }
                catch (LogFormatException ex)
                {
                    throw new ConsoleProblem(409, $"run '{id}' cannot be resumed: {ex.Message}");
                }

                _gone.TryRemove(id, out _);
                return Follow(new LiveRun(id, RunJobs.NewRunId(spec.Scenario), spec, Path.Combine(Folder, id), current?.Source, DateTime.UtcNow) { Follower = follower });
            }
            catch
            {
                follower.Dispose();
                throw;
            }
        }
    }

    /// <summary>How often the console asks again about runs the cluster could not answer for (it may still be starting).</summary>
    private static readonly TimeSpan ReattachRetry = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Follows again, on a cluster, the runs the runs folder shows as still going when a console stopped following them
    /// (a console silo restarted while its runs went on in the cluster): each is live again, can be watched and cancelled,
    /// and its folder gets every round and its summary as if the console had never left. A run the cluster no longer
    /// has is shown stopped, to resume from its log or to delete. Runs the cluster cannot answer for yet (its agents
    /// silos still starting) are asked about again every <see cref="ReattachRetry"/> until none is left or the console stops.
    /// </summary>
    public Task ReattachAsync(CancellationToken cancellationToken) => !options.Cluster ? Task.CompletedTask : Task.Run(async () =>
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            int unanswered;
            try
            {
                unanswered = await ReattachPassAsync(cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogReattachFailed(logger, ex, Folder);
                unanswered = 1;
            }

            if (unanswered == 0)
            {
                return;
            }

            try
            {
                await Task.Delay(ReattachRetry, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    });

    /// <returns>How many detached runs the cluster could not answer for.</returns>
    private async Task<int> ReattachPassAsync(CancellationToken cancellationToken)
    {
        var unanswered = 0;
        if (!Directory.Exists(Folder))
        {
            return unanswered;
        }

        foreach (var directory in Directory.EnumerateDirectories(Folder))
        {
            var id = Path.GetFileName(directory);
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (!IsRunId(id) || _live.ContainsKey(id) || DetachedGrain(id) is not { } grainId)
            {
                continue;
            }

            RunInfo? info;
            try
            {
                info = await client.GetGrain<ISimulationGrain>(grainId).GetInfoAsync().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The cluster cannot answer for it now: it stays detached, and the next pass asks again.
                LogReattachFailed(logger, ex, id);
                unanswered++;
                continue;
            }

            lock (_registry)
            {
                // Resumed, deleted or followed since the question was asked: what happened then stands.
                if (_live.ContainsKey(id) || _disposed == 1 || DetachedGrain(id) != grainId)
                {
                    continue;
                }

                if (info is null)
                {
                    _gone[id] = $"the cluster has no run '{grainId}' now (restarted without durable storage, or this console's silo does not share the cluster's --storage): resume it from its log or delete it";
                }
                else if (TryLockFollower(directory) is { } follower)
                {
                    Follow(new LiveRun(id, grainId, info.Spec, directory, null, info.CreatedUtc) { Reattached = true, Follower = follower });
                    LogReattached(logger, id);
                }
                else
                {
                    // Another console on this folder follows it: if that one stops and leaves it detached, a later pass takes it up.
                    unanswered++;
                    continue;
                }

                Settle(id);
            }

            Changed?.Invoke();
        }

        return unanswered;
    }

    private void Settle(string id)
    {
        if (_settled.TryRemove(id, out var settled))
        {
            settled.TrySetResult();
        }
    }

    /// <summary>The simulation grain of a run whose folder says it was still going when its follower left; else null.</summary>
    private string? DetachedGrain(string id)
    {
        try
        {
            return ReadSummary(id) is { } summary && Detached(id, summary["state"]?.GetValue<string>())
                ? summary["runId"] is JsonValue value && value.TryGetValue<string>(out var grain) && IsRunId(grain) ? grain : id
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The file in a run's folder that the console following the run holds locked (an advisory lock, released when the
    /// process goes), so two consoles on one runs folder never follow, resume or delete the same run at once.
    /// </summary>
    internal const string FollowerLock = RunOutput.LockFile;

    /// <summary>The folder's follower lock, or null when another console holds it.</summary>
    private static FileStream? TryLockFollower(string directory)
    {
        try
        {
            return RunFolderClaim.TryLock(directory);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static ConsoleProblem FollowedElsewhere(string id) =>
        new(409, $"run '{id}' is followed by another console on this runs folder (it holds {FollowerLock} in the run's folder)");

    /// <summary>Registers a run under its id and follows it to its end in the background; the caller holds its follower lock.</summary>
    private RunEntry Follow(LiveRun run)
    {
        _live[run.Id] = run;
        run.Completion = Task.Run(() => FollowAsync(run));
        Changed?.Invoke();
        return Entry(run);
    }

    public IReadOnlyList<RunEntry> List()
    {
        var entries = _live.Values.Select(Entry).ToDictionary(e => e.Id, StringComparer.Ordinal);
        if (Directory.Exists(Folder))
        {
            foreach (var directory in Directory.EnumerateDirectories(Folder))
            {
                var id = Path.GetFileName(directory);
                if (IsRunId(id) && !entries.ContainsKey(id) && FromFiles(id) is { } entry)
                {
                    entries[id] = entry;
                }
            }
        }

        return [.. entries.Values.OrderByDescending(e => e.StartedUtc).ThenBy(e => e.Id, StringComparer.Ordinal)];
    }

    public RunEntry Get(string id) =>
        _live.TryGetValue(CheckId(id), out var run) ? Entry(run) : FromFiles(id) ?? throw NotFound(id);

    /// <summary>The rounds finished so far, each as rounds.jsonl has it.</summary>
    public IReadOnlyList<JsonNode> Rounds(string id)
    {
        if (_live.TryGetValue(CheckId(id), out var run))
        {
            lock (run.Gate)
            {
                return [.. run.Rounds];
            }
        }

        var file = Path.Combine(RunFolder(id), "rounds.jsonl");
        return File.Exists(file) ? [.. File.ReadLines(file).Select(ParseLine).OfType<JsonNode>()] : [];

        // A run cut off mid-write leaves a partial last line: the rounds before it stand.
        static JsonNode? ParseLine(string line)
        {
            try
            {
                return line.Length > 0 ? JsonNode.Parse(line) : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>Where a run's parts are: the controller's silo, each partition's, and every recovery after a lost silo.</summary>
    public async Task<RunInfo?> PlacementAsync(string id)
    {
        if (_live.TryGetValue(CheckId(id), out var run))
        {
            return await client.GetGrain<ISimulationGrain>(run.GrainId).GetInfoAsync();
        }

        return null;
    }

    public async Task CancelAsync(string id)
    {
        if (!_live.TryGetValue(CheckId(id), out var run))
        {
            throw Directory.Exists(RunFolder(id)) ? new ConsoleProblem(409, $"run '{id}' is not running") : NotFound(id);
        }

        if (run.Finished)
        {
            throw new ConsoleProblem(409, $"run '{id}' is not running ({Entry(run).State})");
        }

        await client.GetGrain<ISimulationGrain>(run.GrainId).CancelAsync();
    }

    /// <summary>Deletes a finished run's folder; <paramref name="confirm"/> must repeat the id.</summary>
    public void Delete(string id, string? confirm)
    {
        var directory = RunFolder(id);
        using var registry = _registry.EnterScope();
        if (_live.TryGetValue(id, out var run) && !run.Finished)
        {
            throw new ConsoleProblem(409, $"run '{id}' is still running: cancel it first");
        }

        // Only a run's folder, and only one no writer holds: a cluster run this console detached from may still be going,
        // and so may a run another process writes into this folder.
        var entry = Directory.Exists(directory) ? Get(id) : throw NotFound(id);
        if (entry.State == "detached")
        {
            // A console on the cluster follows these again as soon as the cluster answers for them.
            throw new ConsoleProblem(409, $"run '{id}' was still running in the cluster when this console stopped following it: cancel it there (agentswarm cancel {DetachedGrain(id) ?? id} --cluster ...) before deleting it");
        }

        if (RunLog.StreamBeingWritten(LogDirectory(id)) is { } open)
        {
            throw new ConsoleProblem(409, $"run '{id}' is still being written ({Path.GetFileName(open)} is open for writing): stop it before deleting it");
        }

        if (!string.Equals(confirm, id, StringComparison.Ordinal))
        {
            throw new ConsoleProblem(400, $"deleting run '{id}' removes its folder {directory}: repeat its id as ?confirm={id}");
        }

        using (TryLockFollower(directory) ?? throw FollowedElsewhere(id))
        {
            Directory.Delete(directory, recursive: true);
        }

        _live.TryRemove(id, out _);
        _gone.TryRemove(id, out _);
        Changed?.Invoke();
    }

    /// <summary>The run's log, or null when it has none.</summary>
    public RunLog? OpenLog(string id)
    {
        var directory = LogDirectory(id);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        try
        {
            return RunLog.Open(directory);
        }
        catch (LogFormatException ex)
        {
            throw new ConsoleProblem(422, $"run '{id}': {ex.Message}");
        }
    }

    /// <summary>The log of a run that has ended, for work that must not race its writers (verify, report); 409 otherwise.</summary>
    /// <param name="work">What the caller does, as the message says it: "verify", "report on".</param>
    public RunLog FinishedLog(string id, string work)
    {
        if (Get(id).Live)
        {
            throw new ConsoleProblem(409, $"run '{id}' is still running: {work} it when it has ended");
        }

        return OpenLog(id) ?? throw new ConsoleProblem(409, $"run '{id}' has no event log to {work}");
    }

    /// <summary>Replays a finished run from its log and compares every round with the recording (422 when the log does not read).</summary>
    public async Task<ReplayResult> VerifyAsync(string id, CancellationToken cancellationToken)
    {
        var log = FinishedLog(id, "verify");
        return await ReadingLogAsync(id, () => LogReplay.RunAsync(client, services, log, null, verify: true, fromRecords: false, new RunCallbacks(), cancellationToken));
    }

    /// <summary>Work on a run's log, a log that does not read turned into 422 naming the run.</summary>
    internal static async Task<T> ReadingLogAsync<T>(string id, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (LogFormatException ex)
        {
            throw new ConsoleProblem(422, $"run '{id}': {ex.Message}");
        }
    }

    /// <summary>A live agent's memory, transcript and counters, from its grain (null when the run is not live).</summary>
    public async Task<AgentSnapshot?> LiveAgentAsync(string id, int agent)
    {
        if (!_live.TryGetValue(CheckId(id), out var run) || run.Finished || agent < 0 || agent >= run.Spec.Agents)
        {
            return null;
        }

        return await client.GetGrain<IAgentGrain>(agent, run.GrainId).GetSnapshotAsync();
    }

    public string RunFolder(string id) => Path.Combine(Folder, CheckId(id));

    public string LogDirectory(string id) =>
        _live.TryGetValue(CheckId(id), out var run) && run.Spec.Log?.Directory is { } log && Path.IsPathRooted(log)
            ? log
            : Path.Combine(RunFolder(id), "log");

    /// <summary>
    /// Subscribes to a run's events: the run and every round so far at once, then each change as it happens, and
    /// <c>end</c> last. A finished run's stream is its files replayed, then <c>end</c>.
    /// </summary>
    public ChannelReader<ConsoleEvent> Watch(string id, CancellationToken cancellationToken)
    {
        if (!_live.TryGetValue(CheckId(id), out var run))
        {
            var entry = FromFiles(id) ?? throw NotFound(id);
            if (options.Cluster && entry.State == "detached")
            {
                return WhenSettled(id, entry, cancellationToken);
            }

            // A finished run: its files, then the end, all written at once.
            var replay = Channel.CreateUnbounded<ConsoleEvent>(new UnboundedChannelOptions { SingleReader = true });
            replay.Writer.TryWrite(Event("run", entry));
            foreach (var round in Rounds(id))
            {
                replay.Writer.TryWrite(Event("round", round));
            }

            replay.Writer.TryWrite(Event("end", entry));
            replay.Writer.Complete();
            return replay.Reader;
        }

        Channel<ConsoleEvent> channel;
        lock (run.Gate)
        {
            // Bounded beyond the rounds so far: a page that stops reading is dropped (its stream ends, and a reconnect
            // starts afresh) instead of growing without end.
            channel = Channel.CreateBounded<ConsoleEvent>(new BoundedChannelOptions(run.Rounds.Count + WatcherCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            channel.Writer.TryWrite(Event("run", Entry(run)));
            foreach (var round in run.Rounds)
            {
                channel.Writer.TryWrite(Event("round", round));
            }

            if (run.Finished)
            {
                channel.Writer.TryWrite(Event("end", Entry(run)));
                channel.Writer.Complete();
                return channel.Reader;
            }

            run.Watchers.Add(channel.Writer);
        }

        cancellationToken.Register(() =>
        {
            lock (run.Gate)
            {
                run.Watchers.Remove(channel.Writer);
            }

            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    /// <summary>
    /// A detached run on a cluster console: its state now, then, once this console follows it again (or finds the
    /// cluster has it no more), its events as for any other run, so a page open on it sees it come back.
    /// </summary>
    private ChannelReader<ConsoleEvent> WhenSettled(string id, RunEntry entry, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<ConsoleEvent>(new BoundedChannelOptions(WatcherCapacity) { SingleReader = true, SingleWriter = true });
        channel.Writer.TryWrite(Event("run", entry));
        var settled = _settled.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_live.ContainsKey(id) || FromFiles(id) is not { State: "detached" })
        {
            // Settled between the first look and the registration above.
            Settle(id);
        }

        _ = Task.Run(
            async () =>
            {
                try
                {
                    await settled.Task.WaitAsync(cancellationToken);
                    await foreach (var message in Watch(id, cancellationToken).ReadAllAsync(cancellationToken))
                    {
                        await channel.Writer.WriteAsync(message, cancellationToken);
                    }
                }
                catch (OperationCanceledException)
                {
                    // The watcher went away.
                }
                finally
                {
                    channel.Writer.TryComplete();
                }
            },
            CancellationToken.None);
        return channel.Reader;
    }

    /// <summary>Waits for every run this console started to end (tests, shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_live.Values.Select(r => r.Completion ?? Task.CompletedTask));

    public async ValueTask DisposeAsync()
    {
        // Under the registry's lock, so no run is registered (started, resumed, followed again) after the wait below looks.
        lock (_registry)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
        }

        await _stopping.CancelAsync();
        try
        {
            await WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // The process is going: what the runs finished is on disk already.
        }

        _stopping.Dispose();
    }

    private async Task FollowAsync(LiveRun run)
    {
        try
        {
            using var output = new RunOutput(run.Directory, openOnFirstRound: run.Reattached);
            var driver = new SimulationDriver(client) { DetachOnCancel = options.Cluster };
            var callbacks = new RunCallbacks(
                status => Publish(run, r => r.Status = status, "run"),
                round =>
                {
                    var record = JsonSerializer.SerializeToNode(RoundRecord.From(round), Json)!;
                    Publish(run, r => r.Rounds.Add(record), "round", record);
                },
                llm =>
                {
                    var counters = LlmSummary.Counters(llm.Total);
                    Publish(run, r => r.Llm = counters, "llm", counters);
                });
            var outcome = run.Reattached
                ? await RunJobs.FollowIntoAsync(driver, client, run.GrainId, run.Spec, output, callbacks, _stopping.Token)
                : await RunJobs.RunIntoAsync(driver, client, run.GrainId, run.Spec, output, callbacks, _stopping.Token);
            run.Outcome = outcome;
            if (outcome.Final.State is SimulationState.Completed or SimulationState.Cancelled or SimulationState.Failed)
            {
                await client.GetGrain<ISimulationGrain>(run.GrainId).ReleaseAsync();
            }
        }
        catch (Exception ex)
        {
            LogRunFailed(logger, ex, run.Id);
            run.Failure = ex.Message;
        }
        finally
        {
            run.Follower?.Dispose();
            lock (run.Gate)
            {
                run.Finished = true;
                run.EndedUtc = DateTime.UtcNow;
                var end = Event("end", Entry(run));
                foreach (var watcher in run.Watchers)
                {
                    watcher.TryWrite(end);
                    watcher.TryComplete();
                }

                run.Watchers.Clear();
            }

            // Its files serve a finished run from now on; keep nothing of it in memory.
            if (File.Exists(Path.Combine(run.Directory, "summary.json")))
            {
                _live.TryRemove(new KeyValuePair<string, LiveRun>(run.Id, run));
            }

            Changed?.Invoke();
        }
    }

    private void Publish(LiveRun run, Action<LiveRun> change, string name, object? data = null)
    {
        lock (run.Gate)
        {
            change(run);
            var message = Event(name, data ?? Entry(run));
            run.Watchers.RemoveAll(watcher =>
            {
                if (watcher.TryWrite(message))
                {
                    return false;
                }

                watcher.TryComplete();
                return true;
            });
        }

        Changed?.Invoke();
    }

    private static ConsoleEvent Event(string name, object data) =>
        new(name, data is JsonNode node ? node.ToJsonString(Json) : JsonSerializer.Serialize(data, data.GetType(), Json));

    private RunEntry Entry(LiveRun run)
    {
        var status = run.Outcome?.Final ?? run.Status;
        var state = run.Failure is not null ? "failed" : status?.State.ToString().ToLowerInvariant() ?? "starting";
        var completed = status?.RoundsCompleted ?? 0;
        if (run.Outcome is { } outcome && RunJobs.Degraded(run.Spec, outcome))
        {
            state = "degraded";
        }
        return new RunEntry(
            run.Id,
            run.Spec.Scenario,
            state,
            run.Spec.Agents,
            run.Spec.Rounds,
            completed,
            status?.CurrentRound ?? 0,
            status?.CurrentRoundAgentsDone ?? 0,
            run.Outcome?.Wall.TotalSeconds ?? ((run.EndedUtc ?? DateTime.UtcNow) - run.StartedUtc).TotalSeconds,
            status?.SetupTime.TotalSeconds ?? 0,
            run.StartedUtc,
            !run.Finished,
            run.Spec.Log is not null,
            run.Finished && Resumable(state, completed, run.Spec.Rounds, run.Spec.Log is not null),
            run.Spec.Policy.Name,
            run.Source,
            run.Failure ?? status?.Error ?? (run.Llm is { } llm ? RunJobs.FailureWarning(run.Spec, llm.Completed, llm.Failed, run.Finished) : null),
            run.Llm);
    }

    private RunEntry? FromFiles(string id)
    {
        try
        {
            return ReadEntry(id);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or IOException)
        {
            // A summary.json being written, or edited by hand: list the run, say what is wrong with it.
            return new RunEntry(id, "?", "unreadable", 0, 0, 0, 0, 0, 0, 0, Directory.GetCreationTimeUtc(RunFolder(id)), false, false, false, null, null, $"summary.json: {ex.Message}", null);
        }
    }

    private RunEntry? ReadEntry(string id)
    {
        var directory = RunFolder(id);
        var summary = ReadSummary(id);
        var hasLog = Directory.Exists(Path.Combine(directory, "log"));
        if (summary is null)
        {
            if (!File.Exists(Path.Combine(directory, "rounds.jsonl")) && !hasLog)
            {
                return null;
            }

            // A run whose follower stopped before its end (the console was closed or killed): what its files hold,
            // and what its log's header says the run was (scenario, agents, rounds, policy, start).
            var rounds = Rounds(id).Count;
            var header = StoppedRunHeader(id);
            var done = Math.Max(rounds, header?.Rounds ?? 0);
            return new RunEntry(
                id,
                header?.Header.Scenario ?? "?",
                "stopped",
                header?.Header.Agents ?? 0,
                header?.Header.Rounds ?? 0,
                done,
                0,
                0,
                0,
                0,
                header is { } h ? DateTime.SpecifyKind(h.Header.CreatedUtc, DateTimeKind.Utc) : Directory.GetCreationTimeUtc(directory),
                false,
                hasLog,
                hasLog && (header is null || done < header.Value.Header.Rounds),
                header?.Header.Policy,
                null,
                "the console stopped following this run before it ended",
                null);
        }

        var state = summary["state"]?.GetValue<string>() ?? "unknown";
        if (state is "running" or "pending")
        {
            state = Detached(id, state) ? "detached" : "stopped";
        }

        var planned = summary["roundsPlanned"]?.GetValue<int>() ?? 0;
        var completed = summary["roundsCompleted"]?.GetValue<int>() ?? 0;
        var llm = summary["llm"]?["total"] is { } total ? total.Deserialize<LlmSummary.EndpointCounters>(Json) : null;
        return new RunEntry(
            id,
            summary["scenario"]?.GetValue<string>() ?? "?",
            state,
            summary["agents"]?.GetValue<int>() ?? 0,
            planned,
            completed,
            completed,
            0,
            summary["wallSeconds"]?.GetValue<double>() ?? 0,
            summary["setupSeconds"]?.GetValue<double>() ?? 0,
            File.GetLastWriteTimeUtc(Path.Combine(directory, "summary.json")) - TimeSpan.FromSeconds(summary["wallSeconds"]?.GetValue<double>() ?? 0),
            false,
            hasLog,
            Resumable(state, completed, planned, hasLog),
            summary["policy"]?["name"]?.GetValue<string>(),
            null,
            _gone.TryGetValue(id, out var gone) && state == "stopped" ? gone : summary["error"]?.GetValue<string>(),
            llm);
    }

    /// <summary>The header and complete rounds of a stopped run's log, or null when it has no readable one.</summary>
    private (RunHeaderRecord Header, int Rounds)? StoppedRunHeader(string id)
    {
        try
        {
            return OpenLog(id) is { } log ? (log.Header, log.LastCompleteRound) : null;
        }
        catch (ConsoleProblem)
        {
            return null;
        }
    }

    private JsonNode? ReadSummary(string id)
    {
        var file = Path.Combine(RunFolder(id), "summary.json");
        return File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) : null;
    }

    /// <summary>A run can go on from its log when it stopped short (cancelled or failed) and has one.</summary>
    private static bool Resumable(string state, int completed, int planned, bool hasLog) =>
        hasLog && state is "cancelled" or "failed" or "stopped" && completed < planned;

    /// <summary>
    /// A summary's state says the run was going when its follower left (a console that stopped, a client that detached):
    /// it may still be going in the cluster, unless the cluster has since said it has no such run.
    /// </summary>
    private bool Detached(string id, string? state) => state is "running" or "pending" && !_gone.ContainsKey(id);

    private static bool IsRunId(string id) =>
        id.Length is > 0 and <= 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && id is not ("." or "..");

    private static string CheckId(string id) => IsRunId(id) ? id : throw new ConsoleProblem(400, $"'{id}' is not a run id");

    private void CheckOpen()
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            throw new ConsoleProblem(503, "the console is stopping");
        }
    }

    private static ConsoleProblem NotFound(string id) => new(404, $"no run '{id}'");

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was still going in the cluster: following it again")]
    private static partial void LogReattached(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} was still going when a console left it, and the cluster cannot say what became of it now")]
    private static partial void LogReattachFailed(ILogger logger, Exception exception, string runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed in the console")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string runId);

    private sealed class LiveRun(string id, string grainId, RunSpec spec, string directory, string? source, DateTime startedUtc)
    {
        public object Gate { get; } = new();

        public string Id { get; } = id;

        /// <summary>The simulation grain's id: a resumed run gets a new one, under the same console id.</summary>
        public string GrainId { get; } = grainId;

        public RunSpec Spec { get; } = spec;

        public string Directory { get; } = directory;

        public string? Source { get; } = source;

        public DateTime StartedUtc { get; } = startedUtc;

        /// <summary>Started by an earlier console and followed again: the cluster has it running already.</summary>
        public bool Reattached { get; init; }

        /// <summary>The folder's follower lock, held while this console follows the run.</summary>
        public FileStream? Follower { get; init; }

        public List<JsonNode> Rounds { get; } = [];

        public List<ChannelWriter<ConsoleEvent>> Watchers { get; } = [];

        public SimulationStatus? Status { get; set; }

        public LlmSummary.EndpointCounters? Llm { get; set; }

        public RunOutcome? Outcome { get; set; }

        public string? Failure { get; set; }

        public bool Finished { get; set; }

        public DateTime? EndedUtc { get; set; }

        public Task? Completion { get; set; }
    }
}
