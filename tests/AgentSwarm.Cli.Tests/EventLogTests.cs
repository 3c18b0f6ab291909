using AgentSwarm.Hosting;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Replay;
using AgentSwarm.Scenarios.Files;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Cli.Tests;

public sealed class EventLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-log-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Shipped(string name) => Path.Combine(AppContext.BaseDirectory, "scenarios", name);

    private static async Task<(int Code, string Out, string Error)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> RunAsync(string name, params string[] args)
    {
        var outDir = Path.Combine(_folder, name);
        var (code, _, error) = await InvokeAsync(["run", .. args, "--out", outDir]);
        Assert.True(code == 0, error);
        return outDir;
    }

    private static double[][] Statistics(string runFolder)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runFolder, "summary.json")));
        return [.. summary.RootElement.GetProperty("rounds").EnumerateArray().Select(r =>
            r.GetProperty("stats").EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).Select(p => p.Value.GetDouble()).ToArray())];
    }

    [Fact]
    public void EveryRecordKindRoundTrips()
    {
        var path = Path.Combine(_folder, "kinds.aslog");
        LogRecord[] records =
        [
            new RunHeaderRecord { FormatVersion = 1, RunId = "r", Scenario = "s", Agents = 3, Rounds = 2, Seed = 7, Partitions = 1, Policy = "llm", Endpoints = ["simulated=test-tiny"], CreatedUtc = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), Spec = [1, 2, 3], Bounds = [0, 3], SnapshotEvery = 2 },
            new PartitionRoundRecord { Round = 1, Partition = 0, First = 0, Numbers = [1.5, double.NaN, -2], Texts = [null, "Group 1", ""], SentOffsets = [0, 2, 2, 3], SentTo = [1, 2, 0], SentText = ["a", "b", "c"], StateHash = 42 },
            new TextRecord { Id = 99, Text = "You are Ann." },
            new LlmCallRecord { Round = 1, Agent = 2, Sequence = 1, Roles = [0, 1], Prompt = [99, 99], Temperature = 0.7, Outcome = 1, Response = null, Error = "timeout", Endpoint = "e", PromptTokens = 10, OutputTokens = 0, LatencyMs = 12.5, Retries = 2, Cached = true },
            new SnapshotRecord { Round = 2, Agent = 1, Memory = ["round 1: guessed 3"], Neighbours = [0, 2] },
            new RoundEndRecord { Round = 1, ElapsedTicks = 123, AgentSteps = 3, Messages = 3, DroppedMessages = 1, StateHash = 42, Columns = ["mean"], Values = [1.25] },
            new RunEndRecord { State = "Completed", RoundsCompleted = 2, Error = null },
        ];
        using (var writer = LogStreamWriter.Open(path))
        {
            writer.WriteFrame(records[..3]);
            writer.WriteFrame(records[3..]);
        }

        var read = LogStreamReader.Records(path).ToArray();
        var json = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        Assert.Equal(records.Length, read.Length);
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Equal(records[i].GetType(), read[i].GetType());
            Assert.Equal(JsonSerializer.Serialize(records[i], records[i].GetType(), json), JsonSerializer.Serialize(read[i], read[i].GetType(), json));
        }
    }

    [Fact]
    public async Task AHeuristicRunLeavesALogThatReplaysVerifiesReportsAndInspects()
    {
        var run = await RunAsync("heuristic", Shipped("guess-two-thirds.yaml"), "--agents", "3000", "--rounds", "3", "--partitions", "3", "--snapshot-every", "2");
        var log = RunLog.Open(run);
        Assert.Equal(3, log.LastCompleteRound);
        Assert.Equal("Completed", log.End!.State);
        Assert.Empty(log.SelfCheck());

        var (code, output, error) = await InvokeAsync("replay", run, "--verify");
        Assert.True(code == 0, error + output);
        Assert.Contains("verified: all 3 rounds match the recording", output);

        // From the recorded actions alone (no agent runs), the scenario's reduction gives the recorded statistics.
        (code, output, error) = await InvokeAsync("replay", run, "--from-records", "--verify");
        Assert.True(code == 0, error + output);
        Assert.Contains("verified: all 3 rounds match the recording", output);

        (code, output, error) = await InvokeAsync("replay", Path.Combine(run, "log"), "--until", "2");
        Assert.True(code == 0, error);
        Assert.Contains("replayed 2 rounds", output);

        (code, output, error) = await InvokeAsync("inspect", run, "--agent", "1500");
        Assert.True(code == 0, error);
        Assert.Contains("partition 1", output);
        Assert.Contains("--- round 3", output);
        Assert.Contains("memory:", output);
        var actions = log.PartitionRounds().Single(r => r.Round == 2 && r.Partition == 1);
        Assert.Contains($"action: {actions.Numbers[1500 - actions.First]:R}", output);

        // The report's Parquet files open in DuckDB, with the schema and row counts the tables declare.
        var report = Path.Combine(_folder, "report");
        (code, output, error) = await InvokeAsync("report", run, "--out", report);
        Assert.True(code == 0, error);
        Assert.Contains("actions (9,000 rows)", output);
        Assert.True(new FileInfo(Path.Combine(report, "histogram-round-3.png")).Length > 1000);
        Assert.True(new FileInfo(Path.Combine(report, "mean-target.png")).Length > 1000);
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        Assert.Equal(9000L, Scalar(duck, $"SELECT count(*) FROM read_parquet('{report}/actions.parquet')"));
        Assert.Equal(3000L, Scalar(duck, $"SELECT count(DISTINCT agent) FROM read_parquet('{report}/actions.parquet') WHERE round = 3"));
        Assert.Equal(3L, Scalar(duck, $"SELECT count(*) FROM read_parquet('{report}/rounds.parquet')"));
        Assert.Equal(3L, Scalar(duck, $"SELECT count(*) FROM read_csv_auto('{report}/rounds.csv')"));
        Assert.Equal(6000L, Scalar(duck, $"SELECT count(*) FROM read_parquet('{report}/snapshots.parquet')"));
        var schema = Rows(duck, $"DESCRIBE SELECT * FROM read_parquet('{report}/actions.parquet')");
        Assert.Equal(["round:INTEGER", "agent:INTEGER", "number:DOUBLE", "text:VARCHAR"], schema.Select(r => $"{r[0]}:{r[1]}"));
        var mean = log.Rounds[2].Values[Array.IndexOf(log.Rounds[2].Columns, "mean")];
        Assert.Equal(mean, (double)Rows(duck, $"SELECT mean FROM read_parquet('{report}/rounds.parquet') WHERE round = 3")[0][0]!, 9);
    }

    [Fact]
    public async Task ATamperedRecordFailsVerificationAndNamesTheRound()
    {
        var run = await RunAsync("tamper", Shipped("guess-two-thirds.yaml"), "--agents", "1000", "--rounds", "3", "--partitions", "2");
        var file = Path.Combine(run, "log", LogFormat.PartitionFile(1));
        var records = LogStreamReader.Records(file).ToList();
        ((PartitionRoundRecord)records.Single(r => r is PartitionRoundRecord { Round: 2 })).Numbers[7] += 1;
        File.Delete(file);
        using (var writer = LogStreamWriter.Open(file))
        {
            foreach (var record in records)
            {
                writer.WriteFrame([record]);
            }
        }

        var (code, _, error) = await InvokeAsync("replay", run, "--verify");
        Assert.Equal(1, code);
        Assert.Contains("round 2: partition 1's recorded actions and messages do not match their hash", error);

        // A flipped byte fails the frame's checksum: the log cannot be read, exit 2, and the message says where.
        var bytes = File.ReadAllBytes(file);
        bytes[^3] ^= 0xff;
        File.WriteAllBytes(file, bytes);
        (code, _, error) = await InvokeAsync("replay", run, "--verify");
        Assert.Equal(2, code);
        Assert.Contains("fails its checksum", error);
        Assert.Contains(LogFormat.PartitionFile(1), error);
    }

    [Theory]
    [InlineData("garbage", "not an AgentSwarm log")]
    [InlineData("empty", "the file is empty")]
    [InlineData("future", "log format version 9 is newer than this agentswarm reads")]
    [InlineData("missing", "no manifest.aslog")]
    public async Task BadLogsGetAClearErrorAndExitCodeTwo(string kind, string message)
    {
        var folder = Path.Combine(_folder, kind);
        Directory.CreateDirectory(folder);
        var manifest = Path.Combine(folder, LogFormat.Manifest);
        switch (kind)
        {
            case "garbage":
                File.WriteAllText(manifest, "this is not a log, just some text that happens to be here");
                break;
            case "empty":
                File.WriteAllBytes(manifest, []);
                break;
            case "future":
                File.WriteAllBytes(manifest, [.. "ASLOG\0"u8.ToArray(), 9, 0, 1, 2, 3]);
                break;
        }

        foreach (var command in new[] { "replay", "report", "inspect" })
        {
            string[] args = command == "inspect" ? [command, folder, "--agent", "0"] : [command, folder];
            var (code, _, error) = await InvokeAsync(args);
            Assert.Equal(2, code);
            Assert.Contains(message, error);
        }
    }

    [Fact]
    public async Task ALogCutOffMidFrameReadsToItsLastWholeRecordAndResumesToTheSameResults()
    {
        var whole = await RunAsync("whole", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "4", "--partitions", "2");
        var crashed = await RunAsync("crashed", Shipped("guess-two-thirds.yaml"), "--agents", "2000", "--rounds", "4", "--partitions", "2");

        // A crash in round 4: the manifest lost its last two records, and a partition stream ends mid-frame.
        var manifest = Path.Combine(crashed, "log", LogFormat.Manifest);
        var kept = LogStreamReader.Records(manifest).Where(r => r is not RunEndRecord && r.RecordRound < 4).ToList();
        File.Delete(manifest);
        using (var writer = LogStreamWriter.Open(manifest))
        {
            foreach (var record in kept)
            {
                writer.WriteFrame([record]);
            }

            writer.WriteFrame([new RoundEndRecord { Round = 4 }]);
        }

        var length = new FileInfo(manifest).Length;
        using (var file = File.OpenWrite(manifest))
        {
            file.SetLength(length - 5);
        }

        var part = Path.Combine(crashed, "log", LogFormat.PartitionFile(0));
        using (var file = File.OpenWrite(part))
        {
            file.SetLength(file.Length - 100);
        }

        var log = RunLog.Open(crashed);
        Assert.Equal(3, log.LastCompleteRound);
        Assert.Null(log.End);
        Assert.True(log.ManifestEnd.Truncated);
        Assert.Contains("cut off at byte", log.ManifestEnd.ToString());
        Assert.Contains("last whole record: round 3", log.ManifestEnd.ToString());

        var (code, _, error) = await InvokeAsync("run", "--resume", Path.Combine(crashed, "log"));
        Assert.True(code == 0, error);
        Assert.Contains("resuming run", error);
        Assert.Equal(Statistics(whole), Statistics(crashed));
        Assert.Equal(RunLog.Open(whole).Rounds.Select(r => r.StateHash), RunLog.Open(crashed).Rounds.Select(r => r.StateHash));
        (code, _, error) = await InvokeAsync("replay", crashed, "--verify");
        Assert.True(code == 0, error);
    }

    [Fact]
    public async Task AnLlmRunCancelledAtRoundThreeOfFiveResumesToTheResultsOfAnUninterruptedRun()
    {
        string[] llm = ["--agents", "200", "--rounds", "5", "--llm", "simulated=test-tiny"];
        var whole = await RunAsync("llm-whole", [Shipped("guess-two-thirds-llm.yaml"), .. llm]);

        // The same run, cancelled as soon as round 3 is reported.
        var stopped = Path.Combine(_folder, "llm-stopped");
        var spec = ScenarioFile.Load(Shipped("guess-two-thirds-llm.yaml"), new RunOverrides(Agents: 200, Rounds: 5, Llm: ["simulated=test-tiny"]));
        spec = spec with { Log = new RunLogSpec(Path.Combine(stopped, "log")) };
        using (var cancel = new CancellationTokenSource())
        {
            await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, CancellationToken.None);
            var driver = new SimulationDriver(silo.Client) { PollInterval = TimeSpan.FromMilliseconds(5) };
            var outcome = await driver.RunAsync("stopped", spec, null, round =>
            {
                if (round.Round == 3)
                {
                    cancel.Cancel();
                }
            }, cancel.Token);
            Assert.Equal(SimulationState.Cancelled, outcome.Final.State);
        }

        var log = RunLog.Open(stopped);
        Assert.Equal("Cancelled", log.End!.State);
        Assert.InRange(log.LastCompleteRound, 3, 4);
        Assert.NotEmpty(log.LlmCalls());

        var (code, output, error) = await InvokeAsync("run", "--resume", Path.Combine(stopped, "log"));
        Assert.True(code == 0, error + output);
        Assert.Equal(Statistics(whole), Statistics(stopped));

        // The resumed log is whole: it replays with no backend and every round verifies; the agent's calls are in it.
        (code, output, error) = await InvokeAsync("replay", stopped, "--verify");
        Assert.True(code == 0, error + output);
        Assert.DoesNotContain("llm:", output);
        (code, output, _) = await InvokeAsync("inspect", stopped, "--agent", "17", "--round", "5");
        Assert.Equal(0, code);
        Assert.Contains("llm call 1", output);
        Assert.Contains("[system]", output);
    }

    private static long Scalar(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<object?[]> Rows(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row);
        }

        return rows;
    }
}
