using System.Text.Json;

namespace AgentSwarm.Cli.Tests;

/// <summary>`bench engine --workload baseline`: the guess agents as plain .NET objects, the ceiling engine figures are set against.</summary>
public sealed class EngineBenchTests
{
    [Fact]
    public async Task TheBaselineStepsTheScenariosOwnAgentsWithoutOrleansAndPrintsATableAndJson()
    {
        var (code, output, error) = await Cli.InvokeAsync("bench", "engine", "--workload", "baseline", "--agents", "5000", "--rounds", "3");
        Assert.True(code == 0, error);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("baseline |", StringComparison.Ordinal) && l.Contains(" 5,000 |", StringComparison.Ordinal));
        Assert.Contains("baseline: round 3 took", error);

        var line = output.Split('\n').Single(l => l.StartsWith("{\"bench\":\"engine\"", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("baseline", root.GetProperty("workload").GetString());
        Assert.Equal(5000, root.GetProperty("agents").GetInt32());
        Assert.Equal(3, root.GetProperty("roundSeconds").GetArrayLength());
        Assert.True(root.GetProperty("steadyAgentStepsPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("peakRssBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task APackedGuessRunReportsItsHostingInTheTableAndJson()
    {
        var (code, output, error) = await Cli.InvokeAsync("bench", "engine", "--workload", "guess", "--hosting", "packed", "--agents", "20000", "--rounds", "2");
        Assert.True(code == 0, error);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("   guess |  packed |", StringComparison.Ordinal) && l.Contains(" 20,000 |", StringComparison.Ordinal));

        var line = output.Split('\n').Single(l => l.StartsWith("{\"bench\":\"engine\"", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("packed", json.RootElement.GetProperty("hosting").GetString());
        Assert.Equal(2, json.RootElement.GetProperty("roundSeconds").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("steadyAgentStepsPerSecond").GetDouble() > 0);
    }

    [Fact]
    public async Task AnUnknownHostingIsRefusedWithItsName()
    {
        var (code, _, error) = await Cli.InvokeAsync("bench", "engine", "--workload", "guess", "--hosting", "packed,sideways");
        Assert.Equal(2, code);
        Assert.Contains("--hosting: unknown hosting 'sideways'", error);
    }
}
