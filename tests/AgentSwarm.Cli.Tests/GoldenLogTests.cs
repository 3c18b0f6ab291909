using AgentSwarm.Replay;

namespace AgentSwarm.Cli.Tests;

/// <summary>
/// A log written by an earlier build and checked in (golden/guess-llm): today's build must read it, decode its
/// header's Orleans-serialized RunSpec, replay it to the same hashes and statistics, and show the same agent and
/// the same tables. A change to the on-disk format, or to the simulation's results, fails here first.
/// </summary>
public sealed class GoldenLogTests : IDisposable
{
    private static readonly string Golden = Path.Combine(AppContext.BaseDirectory, "golden", "guess-llm");
    private readonly string _scratch = Directory.CreateTempSubdirectory("agentswarm-golden-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static async Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A copy, so nothing a command does can touch the checked-in files.</summary>
    private string Copy()
    {
        var target = Path.Combine(_scratch, "log");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(Golden, "log")))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    [Fact]
    public void TheHeaderAndRecordsReadAsWritten()
    {
        var log = RunLog.Open(Copy());
        Assert.Equal("guess-two-thirds", log.Header.Scenario);
        Assert.Equal(12, log.Header.Agents);
        Assert.Equal(3, log.Header.Rounds);
        Assert.Equal(42UL, log.Header.Seed);
        Assert.Equal("llm", log.Header.Policy);
        Assert.Equal([0, 6, 12], log.Bounds());
        Assert.Equal(3, log.LastCompleteRound);
        Assert.Equal("Completed", log.End?.State);
        Assert.Equal(72, log.LlmCalls().Count());
        Assert.Equal(36, log.Snapshots().Count());
        Assert.Empty(log.SelfCheck(int.MaxValue));
        Assert.Equal([0x8c6a0209a25c09b7UL, 0x937cf30ec7ac9a22UL, 0xca730d89f9f6b5dfUL], log.Rounds.Select(r => r.StateHash));
    }

    [Fact]
    public async Task TheGoldenLogReplaysAndVerifiesOnTodaysEngine()
    {
        var (code, output, error) = await InvokeAsync("replay", Copy(), "--verify");
        Assert.True(code == 0, error);
        Assert.Contains("verified: all 3 rounds match the recording", output);
    }

    [Fact]
    public async Task InspectShowsTheGoldenAgentAsItWasShown()
    {
        var (code, output, error) = await InvokeAsync("inspect", Copy(), "--agent", "5");
        Assert.True(code == 0, error);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Golden, "inspect-agent-5.txt")), output);
    }

    [Fact]
    public async Task ReportWritesTheGoldenTables()
    {
        var report = Path.Combine(_scratch, "report");
        var (code, _, error) = await InvokeAsync("report", Copy(), "--out", report);
        Assert.True(code == 0, error);
        foreach (var table in new[] { "rounds.csv", "llm_calls.csv" })
        {
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Golden, table)), await File.ReadAllTextAsync(Path.Combine(report, table)));
        }
    }
}
