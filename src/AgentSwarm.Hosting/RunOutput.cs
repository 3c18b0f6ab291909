using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentSwarm.Abstractions;

namespace AgentSwarm.Hosting;

/// <summary>
/// The files a run leaves in its output folder: rounds.jsonl and rounds.csv, appended as each round finishes (so
/// a cancelled or failed run keeps what it finished), and summary.json at the end.
/// </summary>
public sealed class RunOutput : IDisposable
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };
    private static readonly JsonSerializerOptions JsonFile = new(Json) { WriteIndented = true };

    private StreamWriter? _jsonl;
    private StreamWriter? _csv;
    private bool _csvHeader;

    /// <param name="directory">The run's folder (created if missing).</param>
    /// <param name="openOnFirstRound">
    /// Leave the folder's round files as they are until the first round is appended, then write them anew: for a run
    /// followed again from its first round, so a follower that stops before it has seen anything empties nothing.
    /// </param>
    public RunOutput(string directory, bool openOnFirstRound = false)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        if (!openOnFirstRound)
        {
            Open();
        }
    }

    public string Directory { get; }

    /// <summary>Whether the round files have been (re)written by this output.</summary>
    public bool Opened => _jsonl is not null;

    /// <summary>
    /// The file in a run's folder that the process writing the folder holds locked (an advisory lock, released when
    /// the process goes): a `run` writing its results, a console following a run. Claiming it is how a writer takes
    /// the folder, atomically: a second writer is refused instead of interleaving its files with the first's.
    /// </summary>
    public const string LockFile = ".follower";

    /// <summary>Whether an exception says the file system is full (ENOSPC, or EDQUOT for a quota).</summary>
    public static bool IsDiskFull(Exception? exception) =>
        exception is IOException { HResult: 28 or 122 } || exception?.InnerException is { } inner && IsDiskFull(inner);

    /// <summary>Whether a folder already has a run's files, which a new run must not overwrite.</summary>
    public static bool HoldsARun(string directory) =>
        new[] { "summary.json", "rounds.jsonl", "rounds.csv" }.Any(f => File.Exists(Path.Combine(directory, f)));

    public void AppendRound(RoundResult round)
    {
        Open();
        _jsonl.WriteLine(JsonSerializer.Serialize(RoundRecord.From(round), JsonLine));
        var columns = round.Stats.Columns();
        if (!_csvHeader)
        {
            _csv.WriteLine("round,seconds,agent_steps,messages,dropped_messages," + string.Join(',', columns.Select(c => c.Key)));
            _csvHeader = true;
        }

        _csv.WriteLine(string.Join(',', new[]
        {
            round.Round.ToString(CultureInfo.InvariantCulture),
            round.Elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture),
            round.AgentSteps.ToString(CultureInfo.InvariantCulture),
            round.Messages.ToString(CultureInfo.InvariantCulture),
            round.DroppedMessages.ToString(CultureInfo.InvariantCulture),
        }.Concat(columns.Select(c => c.Value.ToString("R", CultureInfo.InvariantCulture)))));
    }

    public RunSummary WriteSummary(string runId, RunSpec spec, RunOutcome outcome)
    {
        var summary = RunSummary.From(runId, spec, outcome);
        var path = Path.Combine(Directory, "summary.json");
        var temporary = path + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(summary, JsonFile));
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            // A full disk: no half-written summary is left, and no summary.json rather than a wrong one.
            File.Delete(temporary);
            throw;
        }

        return summary;
    }

    public void Dispose()
    {
        _jsonl?.Dispose();
        _csv?.Dispose();
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_jsonl), nameof(_csv))]
    private void Open()
    {
        if (_jsonl is not null && _csv is not null)
        {
            return;
        }

        _jsonl = new StreamWriter(Path.Combine(Directory, "rounds.jsonl"), append: false) { AutoFlush = true };
        _csv = new StreamWriter(Path.Combine(Directory, "rounds.csv"), append: false) { AutoFlush = true };
    }
}

public sealed record RoundRecord(
    int Round,
    double Seconds,
    long AgentSteps,
    long Messages,
    long DroppedMessages,
    object Stats)
{
    public static RoundRecord From(RoundResult round) =>
        new(round.Round, round.Elapsed.TotalSeconds, round.AgentSteps, round.Messages, round.DroppedMessages, round.Stats);
}

public sealed record RunSummary(
    string RunId,
    string Scenario,
    string State,
    string? Error,
    ulong Seed,
    int Agents,
    int RoundsPlanned,
    int RoundsCompleted,
    int Partitions,
    object Policy,
    string Topology,
    object Config,
    double SetupSeconds,
    double WallSeconds,
    long AgentSteps,
    double AgentStepsPerSecond,
    long Messages,
    long PeakRssBytes,
    long ManagedHeapBytes,
    IReadOnlyList<RoundRecord> Rounds,
    LlmSummary? Llm,
    RunSummary.ClusterPlacement? Cluster = null,
    string? Log = null)
{
    /// <summary>Where the run's parts ran and what it survived: the controller's silo, each partition's, every recovery.</summary>
    public sealed record ClusterPlacement(string ControllerSilo, IReadOnlyList<string> PartitionSilos, IReadOnlyList<RunRecovery> Recoveries, int CheckpointEvery);

    public static RunSummary From(string runId, RunSpec spec, RunOutcome outcome)
    {
        var steps = outcome.Rounds.Sum(r => r.AgentSteps);
        var roundSeconds = outcome.Rounds.Sum(r => r.Elapsed.TotalSeconds);
        return new RunSummary(
            runId,
            spec.Scenario,
            RunJobs.Degraded(spec, outcome) ? "degraded" : outcome.Final.State.ToString().ToLowerInvariant(),
            outcome.Final.Error,
            spec.Seed,
            spec.Agents,
            spec.Rounds,
            outcome.Rounds.Count,
            outcome.Final.Partitions,
            new { spec.Policy.Name, LatencySeconds = spec.Policy.Latency.TotalSeconds, spec.Policy.Concurrency, spec.Policy.Llm },
            spec.Topology.Kind.ToString(),
            spec.Config,
            outcome.Final.SetupTime.TotalSeconds,
            outcome.Wall.TotalSeconds,
            steps,
            roundSeconds > 0 ? steps / roundSeconds : 0,
            outcome.Rounds.Sum(r => r.Messages),
            ProcessMemory.PeakRss(),
            GC.GetTotalMemory(forceFullCollection: false),
            outcome.Rounds.Select(RoundRecord.From).ToArray(),
            outcome.Llm is { } llm ? new LlmSummary(LlmSummary.Counters(llm.Total), [.. llm.Endpoints.Select(LlmSummary.Counters)]) : null,
            outcome.Info is { } info ? new ClusterPlacement(info.ControllerSilo, info.PartitionSilos, info.Recoveries, info.CheckpointEvery) : null,
            outcome.Info?.Spec.Log?.Directory ?? spec.Log?.Directory);
    }
}

/// <summary>The inference pool's counters in summary.json: the run's total and each endpoint.</summary>
public sealed record LlmSummary(LlmSummary.EndpointCounters Total, IReadOnlyList<LlmSummary.EndpointCounters> Endpoints)
{
    public static EndpointCounters Counters(LlmStats s) => new(
        s.Endpoint, s.Requests, s.Completed, s.Failed, s.Retries, s.CacheHits, s.Deduplicated, s.PromptTokens, s.CachedPromptTokens, s.OutputTokens,
        s.LatencyPercentileMs(50), s.LatencyPercentileMs(95), s.LatencyPercentileMs(99), s.CircuitOpen, s.BusySeconds);

    /// <param name="LatencyP50Ms">Latency percentiles, each the upper edge of its histogram bucket (within 9%).</param>
    /// <param name="SimulatedGpuSeconds">Model time the simulated GPU was busy (0 for real servers).</param>
    public sealed record EndpointCounters(
        string Endpoint,
        long Requests,
        long Completed,
        long Failed,
        long Retries,
        long CacheHits,
        long Deduplicated,
        long PromptTokens,
        long CachedPromptTokens,
        long OutputTokens,
        double LatencyP50Ms,
        double LatencyP95Ms,
        double LatencyP99Ms,
        bool CircuitOpen,
        double SimulatedGpuSeconds);
}
