using AgentSwarm.Replay;

namespace AgentSwarm.Reports;

/// <summary>
/// A run's report, written from its log into one folder: every table of <see cref="RunTables"/> as .csv and .parquet,
/// and the PNG charts of <see cref="RunCharts"/>. The CLI's <c>report</c> and the console's downloads share it.
/// </summary>
public sealed record RunReport(string Directory, IReadOnlyList<ExportTable> Tables, IReadOnlyList<string> Charts)
{
    /// <summary>The folder a log's report goes to by default: <c>report</c> beside the log folder.</summary>
    public static string DefaultDirectory(RunLog log) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(log.Directory))!, "report");

    /// <summary>Reads the log's tables and writes them and the charts into <paramref name="directory"/>.</summary>
    /// <exception cref="LogFormatException">The log's records do not read.</exception>
    public static async Task<RunReport> WriteAsync(RunLog log, string directory)
    {
        var tables = RunTables.Read(log);
        System.IO.Directory.CreateDirectory(directory);
        foreach (var table in tables)
        {
            await table.WriteCsvAsync(Path.Combine(directory, table.Name + ".csv"));
            await table.WriteParquetAsync(Path.Combine(directory, table.Name + ".parquet"));
        }

        var charts = RunCharts.Draw(log, tables, directory);
        return new RunReport(directory, tables, charts);
    }
}
