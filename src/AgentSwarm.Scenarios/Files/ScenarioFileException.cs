namespace AgentSwarm.Scenarios.Files;

/// <summary>A scenario file (or an option that overrides it) is wrong. The message names file, line and field.</summary>
public sealed class ScenarioFileException(string file, int line, int column, string field, string problem)
    : Exception(Format(file, line, column, field, problem))
{
    public string File { get; } = file;

    /// <summary>1-based line; 0 when the problem has no single line (a missing field, a command-line option).</summary>
    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Field { get; } = field;

    public string Problem { get; } = problem;

    private static string Format(string file, int line, int column, string field, string problem)
    {
        var where = line > 0 ? $"{file}:{line}:{column}" : file;
        return string.IsNullOrEmpty(field) ? $"{where}: {problem}" : $"{where}: {field}: {problem}";
    }
}
