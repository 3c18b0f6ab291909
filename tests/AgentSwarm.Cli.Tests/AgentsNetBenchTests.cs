using System.Text.Json;

namespace AgentSwarm.Cli.Tests;

public sealed class AgentsNetBenchTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-agentsnet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task TheClassicalRowSolvesEveryGeneratedInstanceAndWritesResultFiles()
    {
        var (code, output, error) = await InvokeAsync("bench", "agentsnet", "--sizes", "4,8", "--tasks", "coloring,matching", "--out", _folder);
        Assert.True(code == 0, error);
        Assert.Contains("| classical | 1.000 ± 0.000 (100 % solved) | 1.000 ± 0.000 (100 % solved) | 1.000 ± 0.000 |", output);

        var files = Directory.GetFiles(Path.Combine(_folder, "runs"));
        Assert.Equal(2 * 2 * 3 * 3, files.Length); // tasks x sizes x generators x graphs
        using var run = JsonDocument.Parse(File.ReadAllText(files[0]));
        var root = run.RootElement;
        Assert.True(root.GetProperty("solved").GetBoolean());
        Assert.Equal(root.GetProperty("num_nodes").GetInt32(), root.GetProperty("answers").GetArrayLength());
        Assert.Equal(root.GetProperty("num_nodes").GetInt32(), root.GetProperty("graph").GetProperty("nodes").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(_folder, "table.md")));
    }

    [Theory]
    [InlineData("--tasks", "chess", "unknown task 'chess'")]
    [InlineData("--sizes", "four", "'four' is not a whole number")]
    [InlineData("--policy", "oracle", "oracle")]
    [InlineData("--graphs", "/nonexistent/agentsnet", "folder not found")]
    public async Task BadOptionsGetExitCodeTwo(string option, string value, string message)
    {
        var (code, _, error) = await InvokeAsync("bench", "agentsnet", option, value, "--out", _folder);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }
}
