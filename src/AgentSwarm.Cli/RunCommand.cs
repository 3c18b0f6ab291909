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

        var runId = RunJobs.NewRunId(spec.Scenario);
        var directory = options.OutputDirectory ?? Path.Combine(Environment.CurrentDirectory, "runs", runId);
        if (RunOutput.HoldsARun(directory) || Directory.Exists(Path.Combine(directory, "log")))
        {
            await error.WriteLineAsync($"error: --out: '{directory}' already holds a run's results; choose another folder (or delete it)");
            return ExitCodes.BadInput;
        }

        if (options.Cluster is { } target)
        {
            // The cluster's run writes its log under the log root its silos share; this client keeps the results.
            if (options.Log)
            {
                spec = spec with { Log = new RunLogSpec(Path.Combine(runId, "log"), SnapshotEvery: options.SnapshotEvery) };
            }

            await using var connection = await target.ConnectAsync(cancellationToken);
            return await RunAsync(connection.Client, runId, spec, directory, console, error, cancellationToken, cluster: true);
        }

        if (options.Log)
        {
            spec = spec with { Log = new RunLogSpec(Path.Combine(directory, "log"), SnapshotEvery: options.SnapshotEvery) };
        }

        await using var silo = await EmbeddedSilo.StartAsync(options.LogLevel, cancellationToken);
        return await RunAsync(silo.Client, runId, spec, directory, console, error, cancellationToken);
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

        RunLog log;
        try
        {
            log = RunLog.Open(options.Resume!);
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: --resume: {ex.Message}");
            return ExitCodes.BadInput;
        }

        if (RunJobs.WhyNotResumable(log) is { } problem)
        {
            await error.WriteLineAsync($"error: --resume: {problem}");
            return ExitCodes.BadInput;
        }

        var resumeAfter = log.LastCompleteRound;
        var directory = options.OutputDirectory
            ?? (Path.GetFileName(log.Directory) == "log" ? Path.GetDirectoryName(log.Directory)! : log.Directory + "-resumed");
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

        var runId = RunJobs.NewRunId(spec.Scenario);
        return await RunAsync(silo.Client, runId, spec, directory, console, error, cancellationToken);
    }

    /// <summary>The spec a log's header holds; throws <see cref="LogFormatException"/> when it does not decode.</summary>
    private static async Task<int> RunAsync(IClusterClient client, string runId, RunSpec spec, string directory, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken, bool cluster = false)
    {
        RunOutput output;
        try
        {
            output = new RunOutput(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: --out: cannot write to '{directory}': {ex.Message}");
            return ExitCodes.BadInput;
        }

        using (output)
        {
            var view = new RunView(console, spec, console.Profile.Capabilities.Interactive);
            if (cluster)
            {
                await error.WriteLineAsync($"run {runId} submitted; it belongs to the cluster: Ctrl+C detaches, 'agentswarm attach {runId}' follows it again, 'agentswarm cancel {runId}' stops it");
            }

            var driver = new SimulationDriver(client) { DetachOnCancel = cluster };
            var outcome = await view.ShowAsync(() => RunJobs.RunIntoAsync(driver, client, runId, spec, output, new RunCallbacks(view.OnStatus, view.OnRound, view.OnLlm), cancellationToken));
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
                SimulationState.Completed => ExitCodes.Success,
                SimulationState.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.Failed,
            };
        }
    }
}
