using AgentSwarm.Hosting;
using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Replay;
using AgentSwarm.Scenarios.Files;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>`agentswarm run`: load and validate a scenario (or a stopped run's log), run it on the embedded silo, write the results and the log.</summary>
internal static class RunCommand
{
    /// <param name="Log">Write the event log to the output folder's log/ (the default).</param>
    /// <param name="SnapshotEvery">Write every agent's memory into the log every this many rounds (0: never).</param>
    /// <param name="Resume">A stopped run's log: run it again from its last complete round instead of a scenario file.</param>
    /// <param name="Cluster">Submit the run to this cluster instead of an embedded silo (null: embedded).</param>
    public sealed record Options(string? ScenarioPath, RunOverrides Overrides, string? OutputDirectory, LogLevel LogLevel, bool Log = true, int SnapshotEvery = 0, string? Resume = null, ClusterTarget? Cluster = null);

    public static async Task<int> ExecuteAsync(Options options, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        if (options.Resume is not null)
        {
            return await ResumeAsync(options, console, error, cancellationToken);
        }

        RunSpec spec;
        try
        {
            spec = ScenarioFile.Load(options.ScenarioPath!, options.Overrides);
        }
        catch (ScenarioFileException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        if (!options.Log && options.SnapshotEvery > 0)
        {
            await error.WriteLineAsync("error: --snapshot-every: snapshots go into the event log, which --no-log turns off; drop one of the two");
            return ExitCodes.BadInput;
        }

        var runId = RunJobs.NewRunId(spec.Scenario);
        var directory = Path.GetFullPath(options.OutputDirectory ?? Path.Combine(Environment.CurrentDirectory, "runs", runId));

        // Claimed before anything starts (a silo, a cluster connection), and held to the end: a second run given the
        // same --out is refused at once instead of interleaving its files with this one's.
        var (claim, refused) = await ClaimAsync(directory, error, fresh: true);
        if (claim is null)
        {
            return refused;
        }

        using (claim)
        {
            if (options.Cluster is { } target)
            {
                // The cluster's run writes its log under the log root its silos share; this client keeps the results.
                if (options.Log)
                {
                    spec = spec with { Log = new RunLogSpec(Path.Combine(runId, "log"), SnapshotEvery: options.SnapshotEvery) };
                }

                await using var connection = await target.ConnectAsync(cancellationToken);
                return await RunAsync(connection.Client, runId, spec, directory, console, error, cancellationToken, connection);
            }

            if (options.Log)
            {
                spec = spec with { Log = new RunLogSpec(Path.Combine(directory, "log"), SnapshotEvery: options.SnapshotEvery) };
            }

            await using var silo = await EmbeddedSilo.StartAsync(options.LogLevel, cancellationToken);
            return await RunAsync(silo.Client, runId, spec, directory, console, error, cancellationToken);
        }
    }

    /// <summary>
    /// Takes a run folder for this process (<see cref="RunFolderClaim"/>), or says why not: another process writes it,
    /// it cannot be written, or (for a fresh run) it already holds a run's results.
    /// </summary>
    internal static async Task<(RunFolderClaim? Claim, int Exit)> ClaimAsync(string directory, TextWriter error, bool fresh, string option = "--out")
    {
        RunFolderClaim? claim;
        try
        {
            claim = RunFolderClaim.TryTake(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: {option}: cannot write to '{directory}': {ex.Message}");
            return (null, ExitCodes.BadInput);
        }

        if (claim is null)
        {
            await error.WriteLineAsync($"error: {option}: another run is writing '{directory}' now (it holds {RunOutput.LockFile} there); choose another folder");
            return (null, ExitCodes.BadInput);
        }

        if (fresh && (RunOutput.HoldsARun(directory) || Directory.Exists(Path.Combine(directory, "log"))))
        {
            claim.Dispose();
            await error.WriteLineAsync($"error: {option}: '{directory}' already holds a run's results; choose another folder (or delete it)");
            return (null, ExitCodes.BadInput);
        }

        return (claim, ExitCodes.Success);
    }

    /// <summary>
    /// Resumes a stopped run: cuts its log back to the last complete round, runs those rounds again with the recorded
    /// LLM responses in place of the backend (so they come out as they did), then runs the rest live, appending to the log.
    /// </summary>
    private static async Task<int> ResumeAsync(Options options, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        if (options.ScenarioPath is not null)
        {
            await error.WriteLineAsync("error: --resume: give the stopped run's log, not a scenario file: the log holds the scenario");
            return ExitCodes.BadInput;
        }

        if (await OpenResumableAsync(options.Resume!, error) is not { } log)
        {
            return ExitCodes.BadInput;
        }

        // Two resumes of one log would both cut it back and append to it: the folder that holds the log is claimed
        // (and the output folder, when it is elsewhere) before the log is touched.
        var inRunFolder = Path.GetFileName(log.Directory) == "log";
        var logOwner = inRunFolder ? Path.GetDirectoryName(log.Directory)! : log.Directory;
        var directory = Path.GetFullPath(options.OutputDirectory ?? (inRunFolder ? logOwner : log.Directory + "-resumed"));
        var (claim, refused) = await ClaimAsync(logOwner, error, fresh: false, "--resume");
        if (claim is null)
        {
            return refused;
        }

        using (claim)
        {
            RunFolderClaim? outputClaim = null;
            if (!string.Equals(directory, logOwner, StringComparison.Ordinal))
            {
                (outputClaim, refused) = await ClaimAsync(directory, error, fresh: true);
                if (outputClaim is null)
                {
                    return refused;
                }
            }

            using (outputClaim)
            {
                // Looked at again under the claim: the run may have been resumed (and finished) since it was opened.
                if (await OpenResumableAsync(log.Directory, error) is not { } claimed)
                {
                    return ExitCodes.BadInput;
                }

                log = claimed;
                var resumeAfter = log.LastCompleteRound;
                if (log.ManifestEnd.Truncated)
                {
                    await error.WriteLineAsync($"note: {log.ManifestEnd}");
                }

                await error.WriteLineAsync($"resuming run {log.Header.RunId} after round {resumeAfter} of {log.Header.Rounds} ({log.End?.State.ToLowerInvariant() ?? "cut off"}); rounds 1..{resumeAfter} run again from the log");
                await using var silo = await EmbeddedSilo.StartAsync(options.LogLevel, cancellationToken);
                RunSpec spec;
                try
                {
                    spec = RunJobs.PrepareResume(log, silo.Services.GetRequiredService<Serializer>());
                }
                catch (LogFormatException ex)
                {
                    await error.WriteLineAsync($"error: --resume: {ex.Message}");
                    return ExitCodes.BadInput;
                }
                catch (IOException ex)
                {
                    await error.WriteLineAsync($"error: --resume: cannot cut the log in '{log.Directory}' back to round {resumeAfter}: {AgentSwarmCommand.Problem(ex)}; the log is as it was (free space, then resume again)");
                    return ExitCodes.Failed;
                }

                var runId = RunJobs.NewRunId(spec.Scenario);
                return await RunAsync(silo.Client, runId, spec, directory, console, error, cancellationToken);
            }
        }
    }

    /// <summary>The stopped run's log at <paramref name="path"/>, or null once it has said why it cannot be resumed.</summary>
    private static async Task<RunLog?> OpenResumableAsync(string path, TextWriter error)
    {
        try
        {
            var log = RunLog.Open(path);
            if (RunJobs.WhyNotResumable(log) is not { } problem)
            {
                return log;
            }

            await error.WriteLineAsync($"error: --resume: {problem}");
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: --resume: {ex.Message}");
        }

        return null;
    }

    /// <summary>Runs (or, on a cluster, submits and follows) the run into its claimed folder; says how it ended.</summary>
    private static async Task<int> RunAsync(IClusterClient client, string runId, RunSpec spec, string directory, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken, ClusterConnection? cluster = null)
    {
        RunOutput output;
        try
        {
            output = new RunOutput(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: --out: cannot write to '{directory}': {AgentSwarmCommand.Problem(ex)}");
            return ExitCodes.BadInput;
        }

        using (output)
        {
            var view = new RunView(console, spec, console.Profile.Capabilities.Interactive);
            if (cluster is not null)
            {
                await error.WriteLineAsync($"run {runId} submitted; it belongs to the cluster: Ctrl+C detaches, 'agentswarm attach {runId}' follows it again, 'agentswarm cancel {runId}' stops it");
            }

            var driver = new SimulationDriver(client)
            {
                DetachOnCancel = cluster is not null,
                ClusterAnswers = cluster is null ? null : cluster.AnyGatewayAnswersAsync,
            };
            RunOutcome outcome;
            try
            {
                outcome = await view.ShowAsync(() => RunJobs.RunIntoAsync(driver, client, runId, spec, output, new RunCallbacks(view.OnStatus, view.OnRound, view.OnLlm), cancellationToken));
            }
            catch (Exception ex) when (ex is ClusterLostException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync(Failure(ex, runId, spec, directory, cluster));
                return ExitCodes.Failed;
            }

            if (outcome.Final.State is SimulationState.Running or SimulationState.Pending)
            {
                await error.WriteLineAsync($"detached from run {runId} at round {outcome.Final.RoundsCompleted}; it goes on in the cluster ('agentswarm attach {runId}')");
                return ExitCodes.Cancelled;
            }

            // Done reading agents: a long-lived silo may let them go now.
            await client.GetGrain<ISimulationGrain>(runId).ReleaseAsync();

            view.Finish(outcome, directory);
            return outcome.Final.State switch
            {
                SimulationState.Completed when RunJobs.Degraded(spec, outcome) => ExitCodes.Degraded,
                SimulationState.Completed => ExitCodes.Success,
                SimulationState.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.Failed,
            };
        }
    }

    /// <summary>What a run's client says when it cannot go on: which resource failed, and how to pick the run up again.</summary>
    internal static string Failure(Exception exception, string runId, RunSpec spec, string directory, ClusterConnection? cluster)
    {
        if (exception is ClusterLostException lost)
        {
            return $"error: lost the cluster: {lost.Message}. Run {runId} lives on in the cluster's storage and goes on when a silo is back: "
                + $"'agentswarm runs --cluster {cluster?.Address}' lists it, 'agentswarm attach {runId} --cluster {cluster?.Address} --out {directory}' follows it and writes its results";
        }

        var what = RunOutput.IsDiskFull(exception) ? $"the disk holding '{directory}' is full" : $"cannot write the run's results in '{directory}'";
        var log = spec.Log?.Directory;
        var resume = cluster is null && log is not null && Directory.Exists(log)
            ? $"; the event log in '{log}' keeps every complete round: free space, then 'agentswarm run --resume {log}'"
            : string.Empty;
        return $"error: {what} ({exception.Message}){resume}";
    }
}
