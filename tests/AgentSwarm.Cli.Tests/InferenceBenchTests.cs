using System.Text.Json;

namespace AgentSwarm.Cli.Tests;

/// <summary>`bench inference --workload efficiency`: an LLM round on simulated GPUs, set against their capacity.</summary>
public sealed class InferenceBenchTests
{
    [Fact]
    public async Task TheEfficiencyWorkloadReadsItsSimulatedServersAfterTheRunAndPrintsATableAndJson()
    {
        var (code, output, error) = await Cli.InvokeAsync("bench", "inference", "--workload", "efficiency", "--agents", "300", "--endpoints", "2");
        Assert.True(code == 0, error);
        Assert.Contains(output.Split('\n'), l => l.Contains("300 agents, packed hosting, 2 x h100-llama3-8b", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.StartsWith("| 1 | ", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.StartsWith("| 2 | ", StringComparison.Ordinal));

        var line = output.Split('\n').Single(l => l.StartsWith("{\"bench\":\"inference\"", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        var efficiency = json.RootElement.GetProperty("efficiency");
        Assert.Equal(300, efficiency.GetProperty("agents").GetInt32());
        Assert.Equal("packed", efficiency.GetProperty("hosting").GetString());

        Assert.Equal(2, efficiency.GetProperty("gpuIdleSeconds").GetArrayLength());
        Assert.InRange(efficiency.GetProperty("efficiency").GetDouble(), 0.0001, 1.5);
        Assert.True(efficiency.GetProperty("cpuMicrosecondsPerCall").GetDouble() > 0);

        // Two rounds by default, each with its own calls (the counters are differences, not totals so far). A round's
        // counters are read when the bench sees the next round begin, so calls answered in those few milliseconds count
        // toward the round before (CI once saw 603 in round 1); over the run the sum is exact.
        var rounds = efficiency.GetProperty("rounds");
        Assert.Equal(2, rounds.GetArrayLength());
        Assert.Equal(efficiency.GetProperty("calls").GetInt64(), rounds[0].GetProperty("calls").GetInt64());
        Assert.Equal(2, rounds[1].GetProperty("round").GetInt32());
        Assert.All(rounds.EnumerateArray(), r => Assert.True(r.GetProperty("calls").GetInt64() > 0));

        // Two calls per agent a round asked for; the deterministic extraction calls partly shared or cached, so at least
        // one each reached a GPU.
        Assert.InRange(rounds[0].GetProperty("calls").GetInt64() + rounds[1].GetProperty("calls").GetInt64(), 600, 1200);
        Assert.True(rounds[1].GetProperty("allocatedBytesPerCall").GetDouble() > 0);
    }
}
