using AgentSwarm.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Replay;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench log`: the heuristic guess-2/3 run without a log and with one (the log's cost per round, and its
/// bytes per agent-step), then the log replayed by running the agents again and from the recorded actions.
/// Prints a table and one JSON line.
/// </summary>
internal static class LogBench
{
    public static async Task<int> ExecuteAsync(int agents, int rounds, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("agentswarm-bench-log-").FullName;
        try
        {
            var spec = new RunSpec(GuessTwoThirdsScenario.ScenarioName, agents, rounds, 42, PolicySpec.Heuristic, 0, TopologySpec.None, GuessTwoThirdsConfig.Default);
            await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, cancellationToken);
            var driver = new SimulationDriver(silo.Client);

            async Task<RunOutcome> RunAsync(string name, RunSpec run)
            {
                await error.WriteLineAsync($"  {name} ...");
                var outcome = await driver.RunAsync($"bench-log-{name}-{Guid.NewGuid().ToString("N")[..8]}", run, null, null, cancellationToken);
                if (outcome.Final.State != SimulationState.Completed)
                {
                    throw new InvalidOperationException($"{name}: {outcome.Final.State} {outcome.Final.Error}");
                }

                return outcome;
            }

            // Warm the process first (JIT, the serialisers), so neither measured run pays for it.
            await RunAsync("warm-up", spec with { Agents = Math.Min(agents, 20_000), Rounds = 1, Log = new RunLogSpec(Path.Combine(folder, "warm-up")) });
            var plain = await RunAsync("without log", spec);
            var logDirectory = Path.Combine(folder, "log");
            var logged = await RunAsync("with log", spec with { Log = new RunLogSpec(logDirectory) });
            var bytes = new DirectoryInfo(logDirectory).GetFiles().Sum(f => f.Length);
            var log = RunLog.Open(logDirectory);
            var rerun = await RunAsync("replay (agents run again)", spec with { Partitions = log.Header.Partitions, Log = new RunLogSpec(null, 0, logDirectory, rounds, 0, StopAfter: rounds) });
            var clock = Stopwatch.StartNew();
            var fromRecords = LogReplay.FromRecords(log, spec with { Partitions = log.Header.Partitions }, silo.Services.GetRequiredService<ScenarioCatalog>().Get(spec.Scenario), rounds, null);
            clock.Stop();
            var same = fromRecords.Rounds.Zip(log.Rounds).All(p => p.First.Stats.Columns().Select(c => c.Value).SequenceEqual(p.Second.Values))
                && rerun.Rounds.Zip(log.Rounds).All(p => p.First.StateHash == p.Second.StateHash);

            var table = new Table().AddColumns("round", "without log s", "with log s", "log cost", "replay (rerun) s", "replay (records) s");
            for (var r = 0; r < rounds; r++)
            {
                var without = plain.Rounds[r].Elapsed.TotalSeconds;
                var with = logged.Rounds[r].Elapsed.TotalSeconds;
                table.AddRow(
                    (r + 1).ToString(CultureInfo.InvariantCulture),
                    without.ToString("F3", CultureInfo.InvariantCulture),
                    with.ToString("F3", CultureInfo.InvariantCulture),
                    ((with - without) / without).ToString("P1", CultureInfo.InvariantCulture),
                    rerun.Rounds[r].Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
                    fromRecords.Rounds[r].Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture));
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
            console.Profile.Width = 200;
            console.Write(table);
            double Total(RunOutcome o) => o.Rounds.Sum(x => x.Elapsed.TotalSeconds);
            var originalWall = logged.Wall.TotalSeconds;
            var json = new JsonObject
            {
                ["bench"] = "log",
                ["agents"] = agents,
                ["rounds"] = rounds,
                ["roundsSecondsWithoutLog"] = Total(plain),
                ["roundsSecondsWithLog"] = Total(logged),
                ["logCost"] = (Total(logged) - Total(plain)) / Total(plain),
                ["logBytes"] = bytes,
                ["bytesPerAgentStep"] = (double)bytes / ((long)agents * rounds),
                ["originalWallSeconds"] = originalWall,
                ["replayRerunWallSeconds"] = rerun.Wall.TotalSeconds,
                ["replayFromRecordsSeconds"] = clock.Elapsed.TotalSeconds,
                ["replayFromRecordsSpeedup"] = originalWall / clock.Elapsed.TotalSeconds,
                ["replayMatches"] = same,
            };
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"log: {bytes:N0} bytes, {(double)bytes / ((long)agents * rounds):F2} bytes per agent-step; rounds {Total(plain):F2} s without, {Total(logged):F2} s with ({(double)json["logCost"]!:P1}); " +
                $"replay: {rerun.Wall.TotalSeconds:F2} s running the agents, {clock.Elapsed.TotalSeconds:F2} s from the records, against {originalWall:F2} s for the logged run; matches: {same}"));
            await output.WriteLineAsync(json.ToJsonString());
            return same ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
