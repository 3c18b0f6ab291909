using System.Globalization;
using System.Text;
using Parquet;
using Parquet.Schema;

namespace AgentSwarm.Reports;

/// <summary>A table of typed columns, written as CSV (RFC 4180 quoting) and as Parquet (row groups of a million rows).</summary>
public sealed class ExportTable(string name)
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
