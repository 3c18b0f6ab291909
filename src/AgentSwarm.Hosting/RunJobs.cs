using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Replay;
using Orleans.Serialization;

namespace AgentSwarm.Hosting;

/// <summary>What a host wants to hear while a run goes: its status on every poll, each finished round, the LLM counters.</summary>
public sealed record RunCallbacks(Action<SimulationStatus>? OnStatus = null, Action<RoundResult>? OnRound = null, Action<LlmRunStats>? OnLlm = null);

/// <summary>
/// Running a scenario into an output folder, the way every host does it (the `run` command, the web console): rounds
/// appended as they finish, the summary at the end, and the scenario's own result files (AgentsNet's agentsnet.json,
/// SwarmBench's trace); and preparing a stopped run's log to be resumed.
/// </summary>
public static class RunJobs
{
    /// <summary>A new run's id: scenario, UTC time and a random suffix, so ids sort by start and never collide.</summary>
    public static string NewRunId(string scenario) =>
        string.Create(CultureInfo.InvariantCulture, $"{scenario}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");

    /// <summary>Starts the run, follows it to its end writing <paramref name="output"/> as it goes, then the result files.</summary>
    public static async Task<RunOutcome> RunIntoAsync(SimulationDriver driver, IClusterClient client, string runId, RunSpec spec, RunOutput output, RunCallbacks callbacks, CancellationToken cancellationToken)
    {
        await client.GetGrain<ISimulationGrain>(runId).StartAsync(spec);
        return await IntoAsync(driver, client, runId, spec, output, callbacks, again: false, cancellationToken);
    }

    /// <summary>
    /// Follows a run already going in the cluster (started by a client that left) to its end, rewriting
    /// <paramref name="output"/> from its first round (give it one that opens on its first round), then the result
    /// files. The summary's wall time is the run's own, from its start; a follower that stops before it has seen a
    /// round leaves the folder as it was.
    /// </summary>
    public static Task<RunOutcome> FollowIntoAsync(SimulationDriver driver, IClusterClient client, string runId, RunSpec spec, RunOutput output, RunCallbacks callbacks, CancellationToken cancellationToken) =>
        IntoAsync(driver, client, runId, spec, output, callbacks, again: true, cancellationToken);

    private static async Task<RunOutcome> IntoAsync(SimulationDriver driver, IClusterClient client, string runId, RunSpec spec, RunOutput output, RunCallbacks callbacks, bool again, CancellationToken cancellationToken)
    {
        var outcome = await driver.FollowAsync(
            runId,
            spec.Policy.Name == PolicyNames.Llm,
            callbacks.OnStatus,
            round =>
            {
                output.AppendRound(round);
                callbacks.OnRound?.Invoke(round);
            },
            cancellationToken,
            callbacks.OnLlm);
        if (again)
        {
            if (!output.Opened && outcome.Final.State is SimulationState.Running or SimulationState.Pending)
            {
                return outcome;
            }

            // The controller's own clock, from the run's start (to its end, for a run that ended before this follower came).
            outcome = outcome with { Wall = outcome.Final.Elapsed > outcome.Wall ? outcome.Final.Elapsed : outcome.Wall };
        }

        if (spec.Log is { WriteAfter: > 0, ReplayFrom: { } from, Directory: { } written } && string.Equals(from, written, StringComparison.Ordinal))
        {
            // A resume: rounds up to WriteAfter were answered from the log, so this pool never counted them; the
            // run's totals are the log's calls of those rounds plus this process's.
            try
            {
                outcome = outcome with { Llm = Inference.LlmStatsMath.Merge([LlmFromLog(RunLog.Open(from), spec.Log.WriteAfter), outcome.Llm]) };
            }
            catch (LogFormatException)
            {
                // The run itself is done and its summary still gets written: with this process's counters only.
            }
        }

        output.WriteSummary(runId, spec, outcome);
        await WriteResultFilesAsync(client, runId, spec, outcome, output.Directory);
        return outcome;
    }

    /// <summary>The scenario's own result files beside the summary: AgentsNet's result file, SwarmBench's trace.</summary>
    public static async Task WriteResultFilesAsync(IClusterClient client, string runId, RunSpec spec, RunOutcome outcome, string directory)
    {
        if (outcome.Final.State is SimulationState.Running or SimulationState.Pending)
        {
            return;
        }

        if (spec.Config is Scenarios.AgentsNet.AgentsNetConfig)
        {
            // The reference's result file: answers, graph, score, and for LLM agents transcripts and fallback counts.
            await AgentsNetResultFile.WriteForRunAsync(client, runId, spec, outcome, directory, CancellationToken.None);
        }

        if (spec.Config is Scenarios.SwarmBench.SwarmBenchConfig)
        {
            // Every agent's action and message and the world after each round, for another implementation to check.
            var model = spec.Policy.Llm is { } llm ? AgentsNetResultFile.ModelName(llm.Endpoints) : spec.Policy.Name;
            await Scenarios.SwarmBench.SwarmTrace.WriteAsync(Path.Combine(directory, Scenarios.SwarmBench.SwarmTrace.FileName), spec, outcome.Rounds, model, CancellationToken.None);
        }
    }

    /// <summary>
    /// Whether a completed run is degraded: more of its LLM calls failed than its llm.max-failure-share allows, so a
    /// script can tell a run whose agents mostly went unanswered from a good one.
    /// </summary>
    public static bool Degraded(RunSpec spec, RunOutcome outcome) =>
        outcome.Final.State == SimulationState.Completed && outcome.Llm is { Total: { } total } && FailureShare(total.Completed, total.Failed) is { } share && share > FailureLimit(spec);

    /// <summary>The share of LLM calls that failed (after retries), of those answered or failed; null when there were none.</summary>
    public static double? FailureShare(long completed, long failed) =>
        completed + failed > 0 ? (double)failed / (completed + failed) : null;

    /// <summary>Calls answered or failed before a live view judges the failure share, so one early failure does not warn.</summary>
    private const int CallsBeforeWarning = 10;

    /// <summary>
    /// The warning a live view (the CLI's, the console's) shows while more of a run's LLM calls fail than its
    /// llm.max-failure-share allows, or null.
    /// </summary>
    public static string? FailureWarning(RunSpec spec, long completed, long failed, bool finished)
    {
        var limit = FailureLimit(spec);
        return completed + failed >= CallsBeforeWarning && FailureShare(completed, failed) is { } share && share > limit
            ? string.Create(CultureInfo.InvariantCulture, $"warning: {share:P0} of LLM calls failed{(finished ? string.Empty : " so far")} (more than llm.max-failure-share {limit:P0}){(finished ? ": the run is degraded" : ": the run will end degraded unless that changes")}")
            : null;
    }

    private static double FailureLimit(RunSpec spec) => spec.Policy.Llm?.MaxFailureShare ?? LlmSpec.DefaultMaxFailureShare;

    /// <summary>
    /// The inference pool's counters as the log's recorded calls of rounds 1..<paramref name="until"/> give them. The log
    /// marks a call served from the cache and one shared with an identical call in flight alike, so both count as cache hits.
    /// </summary>
    public static LlmRunStats? LlmFromLog(RunLog log, int until)
    {
        var endpoints = new Dictionary<string, LlmStats>(StringComparer.Ordinal);
        var total = Empty("total");
        foreach (var (call, _) in log.LlmCalls(until))
        {
            var one = Empty(call.Endpoint ?? "cache") with
            {
                Requests = 1,
                Completed = call.Outcome == (int)LlmOutcome.Ok && !call.Cached ? 1 : 0,
                Failed = call.Outcome == (int)LlmOutcome.Failed ? 1 : 0,
                Retries = call.Retries,
                CacheHits = call.Cached ? 1 : 0,
                PromptTokens = call.Cached ? 0 : call.PromptTokens,
                OutputTokens = call.Cached ? 0 : call.OutputTokens,
            };
            if (call.Outcome == (int)LlmOutcome.Ok && !call.Cached)
            {
                one.LatencyBuckets[LatencyHistogram.BucketOf(call.LatencyMs)] = 1;
            }

            total = Inference.LlmStatsMath.Add(total, one with { Endpoint = "total" });
            if (call.Endpoint is { } endpoint && !call.Cached)
            {
                endpoints[endpoint] = endpoints.TryGetValue(endpoint, out var known) ? Inference.LlmStatsMath.Add(known, one) : one;
            }
        }

        return total.Requests == 0 ? null : new LlmRunStats("log", total, [.. endpoints.Values]);

        static LlmStats Empty(string endpoint) => new(endpoint, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, new long[LatencyHistogram.Buckets], 0);
    }

    /// <summary>Why a log cannot be resumed (its run completed), or null when it can.</summary>
    public static string? WhyNotResumable(RunLog log) =>
        log.End is { State: nameof(SimulationState.Completed) } end
            ? $"the run in '{log.Directory}' completed ({end.RoundsCompleted} rounds): nothing to resume"
            : log.StreamBeingWritten() is { } open
                ? $"the run in '{log.Directory}' is still being written ({Path.GetFileName(open)} is open for writing): it is still going; cancel it, or wait for it to stop, before resuming"
                : null;

    /// <summary>
    /// Makes a stopped run's log ready to resume: cuts it back to its last complete round and returns the spec that
    /// runs those rounds again from the recorded LLM responses, then the rest live, appending to the same log.
    /// Throws <see cref="LogFormatException"/> when the log cannot be resumed (it completed, or does not decode).
    /// </summary>
    public static RunSpec PrepareResume(RunLog log, Serializer serializer)
    {
        if (WhyNotResumable(log) is { } problem)
        {
            throw new LogFormatException(problem);
        }

        var spec = RecordedRounds.Spec(log, serializer);
        var resumeAfter = log.LastCompleteRound;

        // The rounds kept must be this run's, whole and as the manifest hashed them: a stream copied in from another
        // log, or one cut short, would otherwise be appended to and leave a log that fails verification.
        if (log.SelfCheck(resumeAfter) is { Count: > 0 } problems)
        {
            throw new LogFormatException($"the log in '{log.Directory}' does not match its manifest, so it cannot be resumed: {string.Join("; ", problems.Take(3))}{(problems.Count > 3 ? $" (and {problems.Count - 3} more)" : string.Empty)}");
        }

        log.TruncateAfter(resumeAfter);
        return spec with { Log = new RunLogSpec(log.Directory, resumeAfter, log.Directory, resumeAfter, log.Header.SnapshotEvery, LogId: log.Header.RunId) };
    }
}
