using System.Diagnostics;
using System.Text.Json;
using AgentSwarm.Hosting;
using AgentSwarm.Replay;

namespace AgentSwarm.Cli.Tests;

/// <summary>
/// What a newcomer met on a fresh machine (issue 27): two runs on one folder, damaged and foreign logs, a full disk,
/// runs whose every LLM call failed, resumed runs' totals, and the messages that named .NET types.
/// </summary>
public sealed class NothingLostTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-lost-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Shipped(string name) => Path.Combine(AppContext.BaseDirectory, "scenarios", name);

    private string Scenario(string name, string yaml)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args) => Cli.InvokeAsync(args);

    private async Task<string> RunAsync(string name, params string[] args)
    {
        var outDir = Path.Combine(_folder, name);
        var (code, _, error) = await InvokeAsync(["run", .. args, "--out", outDir]);
        Assert.True(code == 0, error);
        return outDir;
    }

    private static JsonElement Summary(string runFolder) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, "summary.json"))).RootElement;

    /// <summary>Makes a finished run's log look stopped after <paramref name="round"/>: the manifest loses its later records.</summary>
    private static void StopAfter(string runFolder, int round)
    {
        var manifest = Path.Combine(runFolder, "log", LogFormat.Manifest);
        var kept = LogStreamReader.Records(manifest).Where(r => r is not RunEndRecord && r.RecordRound <= round).ToList();
        File.Delete(manifest);
        using var writer = LogStreamWriter.Open(manifest);
        foreach (var record in kept)
        {
            writer.WriteFrame([record]);
        }
    }

    [Fact]
    public async Task ARunGivenAFolderAnotherRunIsWritingIsRefusedWithExitTwoAndTheFirstRunsFilesStayWhole()
    {
        var outDir = Path.Combine(_folder, "taken");
        using (var other = RunFolderClaim.TryTake(outDir))
        {
            Assert.NotNull(other);
            var (code, _, error) = await InvokeAsync("run", Shipped("guess-two-thirds.yaml"), "--agents", "200", "--rounds", "2", "--out", outDir);
            Assert.Equal(2, code);
            Assert.Contains("another run is writing", error);
            Assert.False(File.Exists(Path.Combine(outDir, "rounds.jsonl")), "the refused run wrote into the folder");
            Assert.False(Directory.Exists(Path.Combine(outDir, "log")));
        }

        // Released: the folder is free again, and a finished run leaves it free.
        var free = await RunAsync("taken", Shipped("guess-two-thirds.yaml"), "--agents", "200", "--rounds", "2");
        using var after = RunFolderClaim.TryTake(free);
        Assert.NotNull(after);
    }

    [Fact]
    public async Task ALogGivenWithATrailingSlashIsTheSameLogFolder()
    {
        var run = await RunAsync("slash", Shipped("guess-two-thirds.yaml"), "--agents", "200", "--rounds", "2");

        // Tab completion's "runs/x/log/": its name is still "log", so resume claims and writes the run's folder.
        Assert.Equal(Path.Combine(run, "log"), RunLog.Open(Path.Combine(run, "log") + Path.DirectorySeparatorChar).Directory);
    }

    [Fact]
    public async Task TwoRunsStartedTogetherOnOneFolderLeaveOneWholeRunAndRefuseTheOther()
    {
        var outDir = Path.Combine(_folder, "race");
        var runs = await Task.WhenAll(
            Task.Run(() => InvokeAsync("run", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "3", "--seed", "1", "--out", outDir)),
            Task.Run(() => InvokeAsync("run", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "3", "--seed", "2", "--out", outDir)));

        Assert.Equal([0, 2], runs.Select(r => r.Code).Order().ToArray());
        var refused = runs.Single(r => r.Code == 2).Error;
        Assert.True(refused.Contains("another run is writing", StringComparison.Ordinal) || refused.Contains("already holds a run", StringComparison.Ordinal), refused);
        var (code, output, error) = await InvokeAsync("replay", outDir, "--verify");
        Assert.True(code == 0, output + error);
        Assert.Equal(3, Summary(outDir).GetProperty("roundsCompleted").GetInt32());
    }

    [Fact]
    public async Task EveryReaderRefusesALogWhosePartitionStreamWasCutShortAndPlainReplayWarns()
    {
        var run = await RunAsync("cut", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "8", "--partitions", "2");
        var part = Path.Combine(run, "log", LogFormat.PartitionFile(0));
        using (var file = File.OpenWrite(part))
        {
            file.SetLength(file.Length * 4 / 10);
        }

        var (code, _, error) = await InvokeAsync("report", run, "--out", Path.Combine(_folder, "report"));
        Assert.Equal(2, code);
        Assert.Contains("part-00000.aslog: cut short", error);
        Assert.False(File.Exists(Path.Combine(_folder, "report", "actions.csv")), "report wrote a table from a damaged log");

        (code, _, error) = await InvokeAsync("inspect", run, "--agent", "3");
        Assert.NotEqual(0, code);
        Assert.Contains("cut short", error);

        (_, _, error) = await InvokeAsync("replay", run);
        Assert.Contains("warning: the log in", error);
        Assert.Contains("part-00000.aslog stops in round", error);

        (code, _, error) = await InvokeAsync("run", "--resume", Path.Combine(run, "log"));
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task ResumeRefusesAPartitionStreamCopiedInFromAnotherRunAndLeavesTheLogAsItWas()
    {
        var stopped = await RunAsync("stopped", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "4", "--partitions", "2", "--seed", "7");
        var other = await RunAsync("other", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "4", "--partitions", "2", "--seed", "8");
        StopAfter(stopped, 2);
        var part = LogFormat.PartitionFile(1);
        File.Copy(Path.Combine(other, "log", part), Path.Combine(stopped, "log", part), overwrite: true);
        var before = Directory.GetFiles(Path.Combine(stopped, "log")).ToDictionary(f => f, File.ReadAllBytes);

        var (code, _, error) = await InvokeAsync("run", "--resume", Path.Combine(stopped, "log"));

        Assert.Equal(2, code);
        Assert.Contains($"{part}: belongs to run", error);
        Assert.DoesNotContain("   at ", error);
        var after = Directory.GetFiles(Path.Combine(stopped, "log"));
        Assert.Equal(before.Keys.Order(), after.Order());
        Assert.All(after, f => Assert.Equal(before[f], File.ReadAllBytes(f)));
    }

    [Fact]
    public async Task AResumedLlmRunsSummaryCountsTheCallsOfEveryRoundNotOnlyTheResumedOnes()
    {
        string[] llm = ["--agents", "200", "--rounds", "4", "--llm", "simulated=test-tiny?clock=virtual", "--seed", "3"];
        var whole = await RunAsync("whole", [Shipped("guess-two-thirds-llm.yaml"), .. llm]);
        var resumed = await RunAsync("resumed", [Shipped("guess-two-thirds-llm.yaml"), .. llm]);
        StopAfter(resumed, 2);
        File.Delete(Path.Combine(resumed, "summary.json"));

        var (code, _, error) = await InvokeAsync("run", "--resume", Path.Combine(resumed, "log"));
        Assert.True(code == 0, error);

        var expected = Summary(whole).GetProperty("llm").GetProperty("total");
        var actual = Summary(resumed).GetProperty("llm").GetProperty("total");
        Assert.True(expected.GetProperty("requests").GetInt64() > 0);
        Assert.Equal(expected.GetProperty("requests").GetInt64(), actual.GetProperty("requests").GetInt64());
        Assert.Equal(expected.GetProperty("failed").GetInt64(), actual.GetProperty("failed").GetInt64());

        // Every call is accounted for once: answered by a server, failed, or served from the cache or a shared call.
        // (The resumed process starts with a cold cache, so how the calls split can differ from the whole run's.)
        Assert.Equal(
            actual.GetProperty("requests").GetInt64(),
            actual.GetProperty("completed").GetInt64() + actual.GetProperty("failed").GetInt64() + actual.GetProperty("cacheHits").GetInt64() + actual.GetProperty("deduplicated").GetInt64());
        // Tokens too cover all four rounds (two of four would be about half the whole run's).
        Assert.True(actual.GetProperty("outputTokens").GetInt64() > expected.GetProperty("outputTokens").GetInt64() * 3 / 4);
    }

    [Fact]
    public async Task ARunWhoseEveryLlmCallFailedEndsDegradedWithItsOwnExitCode()
    {
        // Nothing listens on the port: every call fails (one attempt each, then the endpoint's circuit opens).
        var dead = $"openai=http://127.0.0.1:{RedisServer.FreePort()}/v1/m";
        var path = Scenario("dead.yaml", "scenario: guess-two-thirds\nagents: 30\nrounds: 2\npolicy: llm\nllm:\n  attempts: 1\n  timeout: 5s\n");
        var outDir = Path.Combine(_folder, "degraded");
        var (code, output, error) = await InvokeAsync("run", path, "--llm", dead, "--out", outDir);

        Assert.True(code == 3, output + error);
        Assert.Contains("degraded", output);
        Assert.Equal("degraded", Summary(outDir).GetProperty("state").GetString());

        // A run that says failures are fine is not degraded.
        (code, output, error) = await InvokeAsync("run", path, "--llm", dead, "--max-failure-share", "1", "--out", Path.Combine(_folder, "tolerant"));
        Assert.True(code == 0, output + error);
        Assert.Equal("completed", Summary(Path.Combine(_folder, "tolerant")).GetProperty("state").GetString());
    }

    [Fact]
    [Trait("Category", "Server")]
    public async Task AFullDiskEndsTheRunWithOneLineHowToResumeAndNoHalfWrittenFiles()
    {
        var disk = Path.Combine(_folder, "small-disk");
        Directory.CreateDirectory(disk);
        using var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=400k", "tmpfs", disk])!;
        await mount.WaitForExitAsync();
        Assert.True(mount.ExitCode == 0, "this test mounts a 400 KiB tmpfs to fill (it needs root, as .ci/run has)");
        try
        {
            var outDir = Path.Combine(disk, "run");
            var (code, output, error) = await InvokeAsync("run", Shipped("guess-two-thirds.yaml"), "--agents", "5000", "--rounds", "20", "--out", outDir);

            Assert.True(code == 1, output + error);
            Assert.Contains("is full", error);
            Assert.DoesNotContain("   at ", error + output);
            Assert.Empty(Directory.GetFiles(disk, "*.tmp", SearchOption.AllDirectories));
            Assert.False(File.Exists(Path.Combine(outDir, "summary.json")) && new FileInfo(Path.Combine(outDir, "summary.json")).Length == 0, "an empty summary.json was left");
        }
        finally
        {
            using var unmount = Process.Start("umount", ["-l", disk])!;
            await unmount.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task ASwarmBenchPopulationNoGridCanHoldIsRefusedAtValidationInMilliseconds()
    {
        var path = Scenario("huge.yaml", "scenario: swarmbench\ntask: transport\nagents: 10000000\nrounds: 1\n");
        var clock = Stopwatch.StartNew();
        var (code, _, error) = await InvokeAsync("run", path, "--out", Path.Combine(_folder, "huge"));

        Assert.Equal(2, code);
        Assert.Contains("huge.yaml:3:9: agents:", error);
        Assert.Contains("cells one run can hold", error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"validation took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(new[] { "--agents", "lots" }, "as a whole number")]
    [InlineData(new[] { "--seed", "many" }, "as a whole number, 0 or more")]
    [InlineData(new[] { "--no-log", "--snapshot-every", "2" }, "--snapshot-every: snapshots go into the event log")]
    public async Task AnOptionsMistakeIsSaidInWordsNotDotNetTypes(string[] options, string expected)
    {
        var (code, _, error) = await InvokeAsync(["run", Shipped("guess-two-thirds.yaml"), .. options, "--out", Path.Combine(_folder, "words")]);

        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("System.", error);
        Assert.DoesNotContain("Nullable", error);
    }

    [Fact]
    public async Task AFolderGivenAsTheScenarioIsCalledAFolder()
    {
        var (code, _, error) = await InvokeAsync("run", _folder);

        Assert.Equal(2, code);
        Assert.Contains("is a folder", error);
    }
}
