using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Web;

/// <summary>A problem with a request, as the API answers it: an HTTP status and a message naming what is wrong.</summary>
public sealed class ConsoleProblem(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>One mistake in a scenario file, at its line (the validator's file:line:column: field: problem, split up).</summary>
public sealed record ScenarioError(string File, int Line, int Column, string Field, string Problem, string Message)
{
    /// <param name="path">The scenario's file on disk; a mistake in another file it names (a graph) keeps that file's name and no line of the scenario's.</param>
    public static ScenarioError From(ScenarioFileException ex, string file, string path) =>
        ex.File == path
            ? new(file, ex.Line, ex.Column, ex.Field, ex.Problem, ex.Message.Replace(ex.File, file, StringComparison.Ordinal))
            : new(Path.GetFileName(ex.File), 0, 0, ex.Field, ex.Problem, ex.Message);
}

/// <summary>A scenario file in the console's folder.</summary>
public sealed record ScenarioEntry(string Name, long Bytes, DateTime ModifiedUtc);

/// <summary>
/// The scenario files the console serves: one folder (and its subfolders) of YAML files. Names are paths relative to
/// it with '/'; a name that leaves the folder, or a path inside a scenario that does (a graph or edge-list file), is
/// refused; files are data, read by the same validator as `agentswarm run`, and bounded in size.
/// </summary>
public sealed class ScenarioLibrary(ConsoleOptions options)
{
    public string Folder { get; } = Path.GetFullPath(options.Scenarios);

    public IReadOnlyList<ScenarioEntry> List()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(Folder, "*.*", SearchOption.AllDirectories)
            .Where(IsScenarioName)
            .Select(path => new FileInfo(path))
            .Select(file => new ScenarioEntry(Path.GetRelativePath(Folder, file.FullName).Replace('\\', '/'), file.Length, file.LastWriteTimeUtc))
            .OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    public string Read(string name)
    {
        var path = Resolve(name);
        return File.Exists(path) ? File.ReadAllText(path) : throw new ConsoleProblem(404, $"no scenario '{name}' in {Folder}");
    }

    public void Save(string name, string text)
    {
        CheckSize(text);
        var path = Resolve(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // A name of its own: two saves of one file at once each write whole, and the last move wins.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException ex)
        {
            // A full disk: the file keeps its old text and nothing half-written is left beside it.
            File.Delete(temporary);
            throw new ConsoleProblem(507, $"cannot save '{name}': {(RunOutput.IsDiskFull(ex) ? "the disk is full" : ex.Message)}; the file keeps its earlier text");
        }
    }

    /// <summary>The run a scenario text describes, with overrides; throws <see cref="ScenarioFileException"/> at the first mistake.</summary>
    /// <param name="name">The file's name in the folder (it need not exist yet): errors name it, relative paths start from its folder.</param>
    public RunSpec Parse(string name, string text, RunOverrides overrides, CancellationToken cancellationToken = default)
    {
        CheckSize(text);
        return ScenarioFile.Parse(text, Resolve(name), overrides, [Folder], cancellationToken);
    }

    /// <summary>Parses, and turns a mistake into the errors the API returns, naming the file as the console shows it.</summary>
    /// <param name="cancellationToken">The request's: a client that leaves stops the reading.</param>
    public (RunSpec? Spec, ScenarioError[] Errors) Validate(string name, string text, RunOverrides overrides, CancellationToken cancellationToken = default)
    {
        try
        {
            return (Parse(name, text, overrides, cancellationToken), []);
        }
        catch (ScenarioFileException ex)
        {
            return (null, [ScenarioError.From(ex, name, Resolve(name))]);
        }
    }

    private void CheckSize(string text)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(text) > options.MaxScenarioBytes)
        {
            throw new ConsoleProblem(413, $"the scenario is larger than the console accepts ({options.MaxScenarioBytes:N0} bytes)");
        }
    }

    /// <summary>The file a name stands for; refuses names that leave the folder or are not .yaml/.yml files.</summary>
    public string Resolve(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || !IsScenarioName(name) || name.IndexOfAny(['\0', '\\']) >= 0)
        {
            throw new ConsoleProblem(400, $"'{name}' is not a scenario file name (a .yaml or .yml file in {Folder})");
        }

        return !Path.IsPathRooted(name) && FolderPath.Within(Folder, name) is { } path
            ? path
            : throw new ConsoleProblem(400, $"'{name}' is outside the scenarios folder {Folder}");
    }

    private static bool IsScenarioName(string name) =>
        name.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
}
