using System.Globalization;
using AgentSwarm.Replay;
using AgentSwarm.Reports;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm report LOG [--out DIR]`: the per-round table in the terminal; one table per record kind (rounds,
/// actions, messages, llm_calls, snapshots) as CSV and Parquet; PNG charts: guess-2/3's per-round histograms and
/// mean/target trajectory, a benchmark's score per round, and LLM latency and token use per round.
/// </summary>
internal static class ReportCommand
{
    public static async Task<int> ExecuteAsync(string path, string? outDirectory, IAnsiConsole console, TextWriter error)
    {
        RunLog log;
        RunReport report;
        try
        {
            log = RunLog.Open(path);
            report = await RunReport.WriteAsync(log, outDirectory ?? RunReport.DefaultDirectory(log));
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        var header = log.Header;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {header.RunId}: {header.Scenario}, {header.Agents:N0} agents, {log.LastCompleteRound}/{header.Rounds} rounds complete, policy {header.Policy}, seed {header.Seed} ({log.End?.State.ToLowerInvariant() ?? "cut off"})"));
        var rounds = report.Tables[0];
        var view = new Table();
        foreach (var column in rounds.Columns)
        {
            view.AddColumn(column.Name);
        }

        for (var row = 0; row < rounds.Rows; row++)
        {
            view.AddRow([.. rounds.Columns.Select(c => Markup.Escape(c.Cell(row)))]);
        }

        console.Write(view);
        console.WriteLine($"tables: {string.Join(", ", report.Tables.Select(t => $"{t.Name} ({t.Rows:N0} rows)"))}, as .csv and .parquet");
        console.WriteLine($"charts: {(report.Charts.Count == 0 ? "none" : string.Join(", ", report.Charts))}");
        console.WriteLine($"report: {report.Directory}");
        return ExitCodes.Success;
    }
}
