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
        var problems = new List<string>();
        try
        {
            log = RunLog.Open(options.Log);
            if (options.Verify)
            {
                problems.AddRange(log.SelfCheck(options.Until ?? int.MaxValue));
            }
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

        var until = Math.Min(options.Until ?? log.LastCompleteRound, log.LastCompleteRound);
        if (log.ManifestEnd.Truncated || log.End is null)
        {
            await error.WriteLineAsync($"note: the log ends without the run's end ({log.ManifestEnd}); replaying its {log.LastCompleteRound} complete rounds");
        }

        await using var silo = await EmbeddedSilo.StartAsync(options.LogLevel, cancellationToken);
        RunSpec spec;
        try
        {
            spec = RecordedRounds.Spec(log, silo.Services.GetRequiredService<Orleans.Serialization.Serializer>());
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        spec = spec with { Log = new RunLogSpec(null, 0, log.Directory, until, 0, StopAfter: until) };
        var runId = $"replay-{log.Header.RunId}-{Guid.NewGuid().ToString("N")[..8]}";
        var view = new RunView(console, spec, console.Profile.Capabilities.Interactive);
        var driver = new SimulationDriver(silo.Client);
        var clock = Stopwatch.StartNew();
        var outcome = options.FromRecords
            ? FromRecords(log, spec, silo.Services.GetRequiredService<ScenarioCatalog>().Get(spec.Scenario), until, view.OnRound)
            : await view.ShowAsync(() => driver.RunAsync(runId, spec, view.OnStatus, view.OnRound, cancellationToken, view.OnLlm));
        clock.Stop();
        view.Finish(outcome, log.Directory);
        if (outcome.Final.State != SimulationState.Completed)
        {
            await error.WriteLineAsync($"error: the replay {outcome.Final.State.ToString().ToLowerInvariant()}: {outcome.Final.Error}");
            return outcome.Final.State == SimulationState.Cancelled ? ExitCodes.Cancelled : ExitCodes.Failed;
        }

        var (compared, differences) = RecordedRounds.Compare(log, outcome.Rounds, compareHashes: !options.FromRecords);
        problems.AddRange(differences);
        var table = new Table().AddColumns("round", "recorded hash", "replayed hash", "statistics", "recorded s", "replayed s");
        foreach (var row in compared)
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
        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"{(options.Verify ? "verification failed" : "warning")}: {problem}");
        }

        if (options.Verify)
        {
            console.WriteLine(problems.Count == 0 ? $"verified: all {outcome.Rounds.Count} rounds match the recording" : $"verification failed: {problems.Count} problems");
            return problems.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
        }

        return ExitCodes.Success;
    }

    /// <summary>The rounds recomputed from the recorded actions (<see cref="RecordedRounds.Recompute"/>), as a run's outcome.</summary>
    public static RunOutcome FromRecords(RunLog log, RunSpec spec, IScenario scenario, int until, Action<RoundResult>? onRound)
    {
        var clock = Stopwatch.StartNew();
        var rounds = RecordedRounds.Recompute(log, spec, scenario, until, onRound);
        var status = new SimulationStatus("replay", SimulationState.Completed, spec.Agents, spec.Rounds, spec.Partitions, rounds.Count, 0, 0, clock.Elapsed, TimeSpan.Zero, rounds[^1], null);
        return new RunOutcome(status, rounds, clock.Elapsed);
    }
}
