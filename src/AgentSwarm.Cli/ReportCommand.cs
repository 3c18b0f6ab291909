using AgentSwarm.Hosting;
using System.Globalization;
using System.Text;
using AgentSwarm.Replay;
using Parquet;
using Parquet.Schema;
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
        List<ExportTable> tables;
        try
        {
            log = RunLog.Open(path);
            tables = Tables(log);
        }
        catch (LogFormatException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        var directory = outDirectory ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(log.Directory))!, "report");
        Directory.CreateDirectory(directory);
        var header = log.Header;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {header.RunId}: {header.Scenario}, {header.Agents:N0} agents, {log.LastCompleteRound}/{header.Rounds} rounds complete, policy {header.Policy}, seed {header.Seed} ({log.End?.State.ToLowerInvariant() ?? "cut off"})"));
        var rounds = tables[0];
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
        foreach (var table in tables)
        {
            await table.WriteCsvAsync(Path.Combine(directory, table.Name + ".csv"));
            await table.WriteParquetAsync(Path.Combine(directory, table.Name + ".parquet"));
        }

        var charts = Charts.Draw(log, tables, directory);
        console.WriteLine($"tables: {string.Join(", ", tables.Select(t => $"{t.Name} ({t.Rows:N0} rows)"))}, as .csv and .parquet");
        console.WriteLine($"charts: {(charts.Count == 0 ? "none" : string.Join(", ", charts))}");
        console.WriteLine($"report: {directory}");
        return ExitCodes.Success;
    }

    /// <summary>One table per record kind, read from the log.</summary>
    public static List<ExportTable> Tables(RunLog log)
    {
        var rounds = new ExportTable("rounds");
        var round = rounds.Int("round");
        var seconds = rounds.Double("seconds");
        var steps = rounds.Long("agent_steps");
        var messages = rounds.Long("messages");
        var dropped = rounds.Long("dropped_messages");
        var hash = rounds.Text("state_hash");
        var statColumns = new Dictionary<string, ExportTable.Column<double>>(StringComparer.Ordinal);
        foreach (var r in log.Rounds)
        {
            round.Add(r.Round);
            seconds.Add(TimeSpan.FromTicks(r.ElapsedTicks).TotalSeconds);
            steps.Add(r.AgentSteps);
            messages.Add(r.Messages);
            dropped.Add(r.DroppedMessages);
            hash.Add($"{r.StateHash:x16}");
            for (var c = 0; c < r.Columns.Length; c++)
            {
                if (!statColumns.TryGetValue(r.Columns[c], out var column))
                {
                    statColumns[r.Columns[c]] = column = rounds.Double(r.Columns[c]);
                    for (var missing = 0; missing < round.Count - 1; missing++)
                    {
                        column.Add(double.NaN);
                    }
                }

                column.Add(r.Values[c]);
            }
        }

        var actions = new ExportTable("actions");
        var aRound = actions.Int("round");
        var aAgent = actions.Int("agent");
        var aNumber = actions.Double("number");
        var aText = actions.Text("text");
        var sent = new ExportTable("messages");
        var mRound = sent.Int("round");
        var mFrom = sent.Int("from");
        var mTo = sent.Int("to");
        var mText = sent.Text("text");
        foreach (var record in log.PartitionRounds())
        {
            for (var i = 0; i < record.Numbers.Length; i++)
            {
                aRound.Add(record.Round);
                aAgent.Add(record.First + i);
                aNumber.Add(record.Numbers[i]);
                aText.Add(record.Texts?[i]);
                for (var m = record.SentOffsets[i]; m < record.SentOffsets[i + 1]; m++)
                {
                    mRound.Add(record.Round);
                    mFrom.Add(record.First + i);
                    mTo.Add(record.SentTo[m]);
                    mText.Add(record.SentText[m]);
                }
            }
        }

        var llm = new ExportTable("llm_calls");
        var lRound = llm.Int("round");
        var lAgent = llm.Int("agent");
        var lSequence = llm.Int("sequence");
        var lEndpoint = llm.Text("endpoint");
        var lOutcome = llm.Text("outcome");
        var lPromptTokens = llm.Int("prompt_tokens");
        var lOutputTokens = llm.Int("output_tokens");
        var lLatency = llm.Double("latency_ms");
        var lRetries = llm.Int("retries");
        var lCached = llm.Int("cached");
        var lSystem = llm.Text("system_prompt");
        var lLast = llm.Text("last_prompt");
        var lResponse = llm.Text("response");
        foreach (var (call, prompt) in log.LlmCalls())
        {
            lRound.Add(call.Round);
            lAgent.Add(call.Agent);
            lSequence.Add(call.Sequence);
            lEndpoint.Add(call.Endpoint);
            lOutcome.Add(((Abstractions.LlmOutcome)call.Outcome).ToString().ToLowerInvariant());
            lPromptTokens.Add(call.PromptTokens);
            lOutputTokens.Add(call.OutputTokens);
            lLatency.Add(call.LatencyMs);
            lRetries.Add(call.Retries);
            lCached.Add(call.Cached ? 1 : 0);
            lSystem.Add(prompt.FirstOrDefault(m => m.Role == Abstractions.LlmRole.System)?.Text);
            lLast.Add(prompt.Length > 0 ? prompt[^1].Text : null);
            lResponse.Add(call.Response);
        }

        var snapshots = new ExportTable("snapshots");
        var sRound = snapshots.Int("round");
        var sAgent = snapshots.Int("agent");
        var sMemory = snapshots.Text("memory");
        foreach (var snapshot in log.Snapshots())
        {
            sRound.Add(snapshot.Round);
            sAgent.Add(snapshot.Agent);
            sMemory.Add(string.Join("\n", snapshot.Memory));
        }

        return [rounds, actions, sent, llm, snapshots];
    }
}

/// <summary>A table of typed columns, written as CSV (RFC 4180 quoting) and as Parquet (row groups of a million rows).</summary>
internal sealed class ExportTable(string name)
{
    private const int RowGroup = 1_000_000;

    private readonly List<IColumn> _columns = [];

    public interface IColumn
    {
        string Name { get; }

        int Count { get; }

        DataField Field { get; }

        string Cell(int row);

        /// <summary>A numeric cell as a double (NaN for text), for charts.</summary>
        double Number(int row);

        Task WriteAsync(ParquetRowGroupWriter group, int start, int count);
    }

    public string Name => name;

    public IReadOnlyList<IColumn> Columns => _columns;

    public int Rows => _columns.Count == 0 ? 0 : _columns[0].Count;

    public Column<int> Int(string column) => Add(new Column<int>(column, v => v.ToString(CultureInfo.InvariantCulture)));

    public Column<long> Long(string column) => Add(new Column<long>(column, v => v.ToString(CultureInfo.InvariantCulture)));

    public Column<double> Double(string column) => Add(new Column<double>(column, v => v.ToString("R", CultureInfo.InvariantCulture)));

    public Column<string?> Text(string column) => Add(new Column<string?>(column, v => v ?? string.Empty));

    public async Task WriteCsvAsync(string path)
    {
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16);
        await writer.WriteLineAsync(string.Join(',', _columns.Select(c => Quote(c.Name))));
        var line = new StringBuilder();
        for (var row = 0; row < Rows; row++)
        {
            line.Clear();
            for (var c = 0; c < _columns.Count; c++)
            {
                if (c > 0)
                {
                    line.Append(',');
                }

                line.Append(Quote(_columns[c].Cell(row)));
            }

            await writer.WriteLineAsync(line);
        }
    }

    public async Task WriteParquetAsync(string path)
    {
        var schema = new ParquetSchema([.. _columns.Select(c => (Field)c.Field)]);
        await using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(schema, stream);
        for (var start = 0; start < Math.Max(Rows, 1); start += RowGroup)
        {
            var count = Math.Min(RowGroup, Rows - start);
            using var group = writer.CreateRowGroup();
            foreach (var column in _columns)
            {
                await column.WriteAsync(group, start, count);
            }
        }
    }

    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;

    private T Add<T>(T column)
        where T : IColumn
    {
        _columns.Add(column);
        return column;
    }

    public sealed class Column<T>(string column, Func<T, string> format) : IColumn
    {
        private readonly List<T> _values = [];

        public string Name => column;

        public int Count => _values.Count;

        public DataField Field { get; } = new DataField<T>(column, typeof(T) == typeof(string) ? true : null);

        public T this[int row] => _values[row];

        public void Add(T value) => _values.Add(value);

        public string Cell(int row) => format(_values[row]);

        public double Number(int row) => _values[row] switch
        {
            int i => i,
            long l => l,
            double d => d,
            _ => double.NaN,
        };

        public Task WriteAsync(ParquetRowGroupWriter group, int start, int count) => _values switch
        {
            List<string?> texts => group.WriteAsync(Field, texts.GetRange(start, count)!),
            List<int> ints => group.WriteAsync<int>(Field, ints.GetRange(start, count).ToArray()),
            List<long> longs => group.WriteAsync<long>(Field, longs.GetRange(start, count).ToArray()),
            List<double> doubles => group.WriteAsync<double>(Field, doubles.GetRange(start, count).ToArray()),
            _ => throw new NotSupportedException($"column '{column}': no Parquet type for {typeof(T).Name}"),
        };
    }
}
