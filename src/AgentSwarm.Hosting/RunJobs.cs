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
        log.TruncateAfter(resumeAfter);
        return spec with { Log = new RunLogSpec(log.Directory, resumeAfter, log.Directory, resumeAfter, log.Header.SnapshotEvery) };
    }
}
