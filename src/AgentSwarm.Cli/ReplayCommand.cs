using AgentSwarm.Hosting;
using System.Diagnostics;
using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Replay;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm replay LOG [--until R] [--verify]`: runs the logged simulation again on an embedded silo, with the
/// recorded LLM responses in place of the backend (no server needed), and compares every round's state hash and
/// statistics with the recording. --verify also checks the log's records against their own hashes, and fails
/// (exit 1) on any difference, naming the round. --from-records recomputes the rounds from the recorded actions
/// instead, without running any agent: the fast way to re-derive a run's statistics.
/// </summary>
internal static class ReplayCommand
{
    /// <param name="FromRecords">Replay from the recorded actions (statistics recomputed by the scenario's own reduction,
    /// no agent stepped) instead of running the agents again.</param>
    public sealed record Options(string Log, int? Until, bool Verify, LogLevel LogLevel, bool FromRecords = false);

    public static async Task<int> ExecuteAsync(Options options, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        RunLog log;
        try
        {
            log = RunLog.Open(options.Log);
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        if (log.LastCompleteRound == 0)
        {
            await error.WriteLineAsync($"error: {log.Directory}: the log has no complete round to replay");
            return ExitCodes.BadInput;
        }

        if (options.Until is < 1)
        {
            await error.WriteLineAsync("error: --until: must be a round number, 1 or more");
            return ExitCodes.BadInput;
        }

        if (log.ManifestEnd.Truncated || log.End is null)
        {
            await error.WriteLineAsync($"note: the log ends without the run's end ({log.ManifestEnd}); replaying its {log.LastCompleteRound} complete rounds");
        }

        // A plain replay runs the agents again and never reads the partition streams: say so when they are not whole,
        // since the log then cannot be inspected, reported or resumed (--verify fails on the same damage).
        if (!options.Verify && log.Completeness() is { Count: > 0 } damage)
        {
            await error.WriteLineAsync($"warning: the log in '{log.Directory}' is damaged: {string.Join("; ", damage)}. The replay below runs the agents again from the header and the recorded LLM responses; 'replay --verify' fails on this log, and report, inspect and resume refuse it");
        }

        await using var silo = await EmbeddedSilo.StartAsync(options.LogLevel, cancellationToken);
        var until = Math.Min(options.Until ?? log.LastCompleteRound, log.LastCompleteRound);
        var clock = Stopwatch.StartNew();
        RunView view;
        ReplayResult? result = null;
        try
        {
            view = new RunView(console, LogReplay.Spec(log, silo.Services.GetRequiredService<Orleans.Serialization.Serializer>(), until), console.Profile.Capabilities.Interactive);
            if (options.FromRecords)
            {
                result = await LogReplay.RunAsync(silo.Client, silo.Services, log, until, options.Verify, fromRecords: true, new RunCallbacks(OnRound: view.OnRound), cancellationToken);
            }
            else
            {
                await view.ShowAsync(async () =>
                {
                    result = await LogReplay.RunAsync(silo.Client, silo.Services, log, until, options.Verify, fromRecords: false, new RunCallbacks(view.OnStatus, view.OnRound, view.OnLlm), cancellationToken);
                    return result.Outcome;
                });
            }
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        clock.Stop();
        var outcome = result!.Outcome;
        view.Finish(outcome, log.Directory);
        if (outcome.Final.State != SimulationState.Completed)
        {
            await error.WriteLineAsync($"error: the replay {outcome.Final.State.ToString().ToLowerInvariant()}: {outcome.Final.Error}");
            return outcome.Final.State == SimulationState.Cancelled ? ExitCodes.Cancelled : ExitCodes.Failed;
        }

        var table = new Table().AddColumns("round", "recorded hash", "replayed hash", "statistics", "recorded s", "replayed s");
        foreach (var row in result.Rounds)
        {
            table.AddRow(
                row.Round.ToString(CultureInfo.InvariantCulture),
                $"{row.RecordedHash:x16}",
                row.SameHash ? $"[green]{row.ReplayedHash:x16}[/]" : $"[red]{row.ReplayedHash:x16}[/]",
                row.SameStats ? "[green]same[/]" : "[red]differ[/]",
                row.Recorded.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
                row.Replayed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture));
        }

        console.Write(table);
        var recordedSeconds = log.Rounds.Take(until).Sum(r => TimeSpan.FromTicks(r.ElapsedTicks).TotalSeconds);
        var replayedSeconds = outcome.Rounds.Sum(r => r.Elapsed.TotalSeconds);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replayed {outcome.Rounds.Count} rounds of {log.Header.Agents:N0} agents: rounds took {replayedSeconds:F2} s against {recordedSeconds:F2} s recorded ({(replayedSeconds > 0 ? recordedSeconds / replayedSeconds : 0):F2}x); {clock.Elapsed.TotalSeconds:F2} s in all, set-up included"));
        foreach (var problem in result.Problems)
        {
            await error.WriteLineAsync($"{(options.Verify ? "verification failed" : "warning")}: {problem}");
        }

        if (options.Verify)
        {
            console.WriteLine(result.Problems.Count == 0 ? $"verified: all {outcome.Rounds.Count} rounds match the recording" : $"verification failed: {result.Problems.Count} problems");
            return result.Problems.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
        }

        return ExitCodes.Success;
    }
}
