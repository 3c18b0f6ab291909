using System.Text.Json;

namespace AgentSwarm.Cli.Tests;

public sealed class AgentsNetBenchTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-agentsnet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args) => Cli.InvokeAsync(args);

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

    [Fact]
    public async Task AnLlmRowOnTheSimulatedBackendWritesWellFormedResultFilesAndCountsFallbacksOnGarbage()
    {
        // 40% of the simulated server's answers are garbage: some replies fail twice and take the fallback.
        var (code, output, error) = await InvokeAsync(
            "bench", "agentsnet", "--policy", "llm", "--llm", "simulated=test-tiny?clock=virtual&malformed=0.4",
            "--sizes", "8", "--kinds", "ws,dt", "--count", "1", "--tasks", "coloring,leader_election", "--out", _folder);
        Assert.True(code == 0, error);
        Assert.Contains("| simulated-tiny |", output);

        var files = Directory.GetFiles(Path.Combine(_folder, "runs"));
        Assert.Equal(2 * 2, files.Length);
        long fallbacks = 0;
        long failedParses = 0;
        foreach (var file in files)
        {
            using var run = JsonDocument.Parse(File.ReadAllText(file));
            var root = run.RootElement;
            var nodes = root.GetProperty("num_nodes").GetInt32();
            var names = root.GetProperty("graph").GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()!).ToArray();
            Assert.Equal(nodes, root.GetProperty("answers").GetArrayLength());
            Assert.Equal("simulated-tiny", root.GetProperty("model_name").GetString());
            Assert.Equal(names.Order(), root.GetProperty("transcripts").EnumerateObject().Select(t => t.Name).Order());

            var perNodeFallbacks = root.GetProperty("fallbacks").EnumerateArray().Select(f => f.GetInt32()).ToArray();
            var perNodeFailures = root.GetProperty("failed_parses").EnumerateArray().Select(f => f.GetInt32()).ToArray();
            Assert.Equal(nodes, perNodeFallbacks.Length);
            Assert.Equal(nodes, perNodeFailures.Length);
            for (var v = 0; v < nodes; v++)
            {
                // A fallback follows two unreadable replies (the first and the retry); each of those is counted.
                Assert.True(perNodeFailures[v] >= 2 * perNodeFallbacks[v], $"node {v}: {perNodeFailures[v]} failed parses, {perNodeFallbacks[v]} fallbacks");
                var transcript = root.GetProperty("transcripts").GetProperty(names[v]);
                var replies = transcript.EnumerateArray().Count(m => m.GetProperty("role").GetString() == "assistant");
                Assert.Equal(root.GetProperty("rounds").GetInt32() + 1 + perNodeFailures[v] - perNodeFallbacks[v], replies);
                if (root.GetProperty("answers")[v].ValueKind == JsonValueKind.Null)
                {
                    Assert.True(perNodeFallbacks[v] > 0, $"node {v} has no answer but no fallback");
                }
            }

            fallbacks += perNodeFallbacks.Sum();
            failedParses += perNodeFailures.Sum();
            Assert.True(root.GetProperty("llm").GetProperty("output_tokens").GetInt64() > 0);
        }

        Assert.True(fallbacks > 0, "garbage answers led to fallbacks");
        Assert.True(failedParses > fallbacks);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "summary.json")));
        Assert.Equal(fallbacks, summary.RootElement.GetProperty("llm").GetProperty("fallbacks").GetInt64());
    }

    [Theory]
    [InlineData("--policy", "llm", "the llm policy needs at least one endpoint")]
    [InlineData("--llm", "simulated=h100-llama3-8b", "endpoints are for --policy llm")]
    [InlineData("--kinds", "grid", "unknown graph kind 'grid'")]
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
