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
            spec = RunCommand.SpecOf(silo, log);
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
            ? FromRecords(log, spec, silo.Services.GetRequiredService<ScenarioCatalog>().Get(spec.Scenario), until, view)
            : await view.ShowAsync(() => driver.RunAsync(runId, spec, view.OnStatus, view.OnRound, cancellationToken, view.OnLlm));
        clock.Stop();
        view.Finish(outcome, log.Directory);
        if (outcome.Final.State != SimulationState.Completed)
        {
            await error.WriteLineAsync($"error: the replay {outcome.Final.State.ToString().ToLowerInvariant()}: {outcome.Final.Error}");
            return outcome.Final.State == SimulationState.Cancelled ? ExitCodes.Cancelled : ExitCodes.Failed;
        }

        var table = new Table().AddColumns("round", "recorded hash", "replayed hash", "statistics", "recorded s", "replayed s");
        foreach (var replayed in outcome.Rounds)
        {
            var recorded = log.Rounds[replayed.Round - 1];
            var columns = replayed.Stats.Columns();
            var sameStats = columns.Select(c => c.Key).SequenceEqual(recorded.Columns)
                && columns.Select(c => c.Value).Zip(recorded.Values).All(p => p.First.Equals(p.Second));
            if (!options.FromRecords && replayed.StateHash != recorded.StateHash)
            {
                problems.Add($"round {replayed.Round}: the replay's state hash {replayed.StateHash:x16} differs from the recorded {recorded.StateHash:x16}");
            }

            if (!sameStats)
            {
                problems.Add($"round {replayed.Round}: the replay's statistics differ from the recorded ones");
            }

            table.AddRow(
                replayed.Round.ToString(CultureInfo.InvariantCulture),
                $"{recorded.StateHash:x16}",
                replayed.StateHash == recorded.StateHash ? $"[green]{replayed.StateHash:x16}[/]" : $"[red]{replayed.StateHash:x16}[/]",
                sameStats ? "[green]same[/]" : "[red]differ[/]",
                TimeSpan.FromTicks(recorded.ElapsedTicks).TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
                replayed.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture));
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

    /// <summary>
    /// The rounds as the recorded actions make them: each partition's actions reduced by the scenario, the partials
    /// merged in partition order, the broadcast passed on, as the controller does; no agent runs. The state hash is
    /// the recorded one (--verify checks the records against it).
    /// </summary>
    public static RunOutcome FromRecords(RunLog log, RunSpec spec, IScenario scenario, int until, RunView? view)
    {
        var clock = Stopwatch.StartNew();
        var byRound = log.PartitionRounds(until).GroupBy(r => r.Round).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Partition).ToList());
        var rounds = new List<RoundResult>();
        ScenarioBroadcast? broadcast = null;
        for (var round = 1; round <= until; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var context = new RoundContext("replay", round, spec.Seed, spec.Scenario, spec.Config, spec.Policy, broadcast, spec.Agents, spec.Rounds);
            var partials = new List<RoundPartial>();
            foreach (var record in byRound.GetValueOrDefault(round) ?? [])
            {
                var actions = new AgentAction[record.Numbers.Length];
                for (var i = 0; i < actions.Length; i++)
                {
                    actions[i] = new AgentAction(record.Numbers[i], record.Texts?[i]);
                }

                partials.Add(scenario.Reduce(context, record.First, actions));
            }

            var stats = scenario.Merge(context, partials);
            broadcast = scenario.NextBroadcast(context, stats);
            var recorded = log.Rounds[round - 1];
            var result = new RoundResult(round, Stopwatch.GetElapsedTime(started), recorded.AgentSteps, recorded.Messages, recorded.DroppedMessages, stats, recorded.StateHash);
            rounds.Add(result);
            view?.OnRound(result);
        }

        var status = new SimulationStatus("replay", SimulationState.Completed, spec.Agents, spec.Rounds, spec.Partitions, rounds.Count, 0, 0, clock.Elapsed, TimeSpan.Zero, rounds[^1], null);
        return new RunOutcome(status, rounds, clock.Elapsed);
    }
}
