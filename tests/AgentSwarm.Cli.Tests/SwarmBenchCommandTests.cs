using System.Text.Json;

namespace AgentSwarm.Cli.Tests;

/// <summary>`run` on a swarmbench file writes the trace; `bench swarmbench` prints the paper's table; bad input is named.</summary>
public sealed class SwarmBenchCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-swarmbench-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args) => Cli.InvokeAsync(args);

    private static string ShippedScenario(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "scenarios", name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"scenarios/{name} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task RunningTheShippedPursuitFileWritesTheTraceBesideTheRounds()
    {
        var outDir = Path.Combine(_folder, "pursuit");
        var (code, _, error) = await InvokeAsync("run", ShippedScenario("swarmbench-pursuit.yaml"), "--rounds", "30", "--out", outDir);
        Assert.True(code == 0, error);

        using var trace = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "swarmbench-trace.json")));
        var root = trace.RootElement;
        Assert.Equal("pursuit", root.GetProperty("task").GetString());
        Assert.Equal(10, root.GetProperty("height").GetInt32());
        Assert.Equal(5, root.GetProperty("view").GetInt32());
        Assert.Equal(36, root.GetProperty("initial").GetProperty("walls").GetArrayLength());
        Assert.Equal(8, root.GetProperty("initial").GetProperty("prey").GetProperty("row").GetInt32());
        Assert.Equal(30, root.GetProperty("rounds").GetArrayLength());
        var last = root.GetProperty("rounds")[29];
        Assert.Equal(root.GetProperty("score").GetDouble(), last.GetProperty("score").GetDouble());
        Assert.True(last.GetProperty("metrics").GetProperty("explored_cells").GetInt32() >= 10);
        Assert.Contains("score", File.ReadAllText(Path.Combine(outDir, "rounds.csv")));
    }

    [Theory]
    [InlineData("task: herding\n", "task: unknown value 'herding'")]
    [InlineData("task: flocking\nview: 4\n", "view: must be odd")]
    [InlineData("task: pursuit\nagents: 500\ngrid: 10\n", "grid: 500 agents do not fit a 10 x 10 pursuit map")]
    [InlineData("agents: 10\n", "task: missing")]
    [InlineData("task: pursuit\nprompts:\n  turn: Round {round} of {rounds}\n", "prompts.turn: unknown placeholder {rounds}")]
    public async Task AMistakeInASwarmbenchFileIsNamedAtItsLine(string body, string expected)
    {
        var path = Path.Combine(_folder, "bad.yaml");
        await File.WriteAllTextAsync(path, "scenario: swarmbench\n" + body);
        var (code, _, error) = await InvokeAsync("run", path, "--out", Path.Combine(_folder, "never"));
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Contains("bad.yaml:", error);
        Assert.False(Directory.Exists(Path.Combine(_folder, "never")));
    }

    [Fact]
    public async Task TheBenchPrintsThePapersTableAndWritesTracesAndJson()
    {
        var (code, output, error) = await InvokeAsync("bench", "swarmbench", "--runs", "2", "--rounds", "20", "--tasks", "synchronization,transport", "--out", _folder);
        Assert.True(code == 0, error);
        Assert.Contains("| policy | synchronization | transport | average |", output);
        Assert.Contains("| classical | 20.00 ± 0.00 |", output); // the shared clock flips every light every round
        Assert.Contains("| random |", output);
        Assert.Equal(2 * 2 * 2, Directory.GetFiles(Path.Combine(_folder, "traces")).Length);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("results").GetArrayLength());
        Assert.Contains("\"bench\":\"swarmbench\"", output);

        var (bad, _, message) = await InvokeAsync("bench", "swarmbench", "--tasks", "herding");
        Assert.Equal(2, bad);
        Assert.Contains("--tasks: unknown task 'herding'", message);
    }
}
