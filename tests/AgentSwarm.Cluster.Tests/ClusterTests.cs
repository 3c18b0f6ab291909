using System.Diagnostics;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Cli;
using AgentSwarm.Hosting;
using AgentSwarm.Testing;

namespace AgentSwarm.Cluster.Tests;

/// <summary>
/// A real cluster: redis-server for membership and storage, and three `agentswarm silo` processes (so kill -9 is a
/// real kill). Tests submit runs with the CLI in this process, as a user's client would.
/// </summary>
public class SiloClusterFixture : IAsyncLifetime
{
    private readonly int _count;
    private readonly bool _azureTables;
    private SiloProcesses _silos = null!;

    public SiloClusterFixture()
        : this(silos: 3, azureTables: false)
    {
    }

    /// <param name="silos">How many silo processes.</param>
    /// <param name="azureTables">Durable state in a real Azurite (Azure Table storage) instead of Redis.</param>
    protected SiloClusterFixture(int silos, bool azureTables)
    {
        _count = silos;
        _azureTables = azureTables;
    }

    public RedisServer Redis { get; private set; } = null!;

    public AzuriteServer? Azurite { get; private set; }

    public int Count => _count;

    public string Folder { get; } = Directory.CreateTempSubdirectory("agentswarm-cluster-").FullName;

    public string LogRoot => Path.Combine(Folder, "logs");

    public string Cluster => $"redis={Redis.Address}";

    /// <summary>The silos' --storage: the same Redis, or Azurite's table service.</summary>
    public string Storage => Azurite is null ? Cluster : $"azure-tables={Azurite.ConnectionString}";

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        if (_azureTables)
        {
            Azurite = await AzuriteServer.StartAsync();
        }

        // The repository's own build of agentswarm, run as `dotnet agentswarm.dll silo ...` (checkpoints every round).
        var dll = Path.Combine(Repository.Root(), "src", "AgentSwarm.Cli", "bin", Configuration(), "net10.0", "agentswarm.dll");
        Assert.True(File.Exists(dll), $"the agentswarm build is missing at {dll}");
        _silos = await SiloProcesses.StartAsync(_count, Redis, Storage, checkpointEvery: 1, LogRoot, progress: null, CancellationToken.None, dll);
    }

    /// <summary>Silo i's address as Orleans prints it (S127.0.0.1:PORT:...), to match placement reports.</summary>
    public int SiloPort(int i) => _silos.SiloPorts[i];

    public int IndexOf(string siloAddress) => Array.FindIndex(_silos.SiloPorts, p => siloAddress.Contains($":{p}:", StringComparison.Ordinal));

    /// <summary>Starts silo i again (after a kill), waiting until it is up (bounded).</summary>
    public Task StartSiloAsync(int i) => _silos.StartSiloAsync(i);

    /// <summary>kill -9: no goodbye to the cluster.</summary>
    public void Kill(int i) => _silos.Kill(i);

    /// <summary>SIGTERM: the silo leaves the cluster gracefully.</summary>
    public Task StopAsync(int i) => _silos.StopAsync(i);

    public string Log() => _silos.Log();

    public async Task DisposeAsync()
    {
        if (_silos is not null)
        {
            await _silos.DisposeAsync();
        }

        await Redis.DisposeAsync();
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }

        Directory.Delete(Folder, recursive: true);
    }

    private static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
}

[CollectionDefinition(Name)]
public sealed class SiloClusterCollection : ICollectionFixture<SiloClusterFixture>
{
    public const string Name = "silo cluster";
}

[Collection(SiloClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class ClusterTests(SiloClusterFixture cluster, Xunit.Abstractions.ITestOutputHelper output)
{
    internal static readonly string Scenario = Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds.yaml");

    internal static async Task<(int Code, string Out, string Error)> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error, cancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    private string Out(string name) => Path.Combine(cluster.Folder, name + "-" + Guid.NewGuid().ToString("N")[..6]);

    internal static JsonElement Summary(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))).RootElement;

    internal static string[] Stats(string folder) =>
        [.. Summary(folder).GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("stats").GetRawText() + r.GetProperty("agentSteps").GetRawText())];

    private async Task<string> EmbeddedAsync(string[] args)
    {
        var folder = Out("embedded");
        var (code, _, error) = await InvokeAsync(["run", Scenario, .. args, "--out", folder]);
        Assert.True(code == 0, error);
        return folder;
    }

    /// <summary>The newest running run once it has finished <paramref name="rounds"/> rounds (bounded: 90 s).</summary>
    internal static async Task<RunInfo> WaitForRoundAsync(SiloClusterFixture cluster, int rounds)
    {
        if (!ClusterAddress.TryParse(cluster.Cluster, out var address, out var problem))
        {
            throw new InvalidOperationException(problem);
        }

        await using var connection = await ClusterConnection.ConnectAsync(address, null, null, TimeSpan.FromSeconds(30), CancellationToken.None);
        var registry = connection.Client.GetGrain<IRunRegistryGrain>(IRunRegistryGrain.Key);
        string? runId = null;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            runId ??= (await registry.ListAsync()).Where(e => e.State == SimulationState.Running).OrderByDescending(e => e.CreatedUtc).Select(e => e.RunId).FirstOrDefault();
            if (runId is not null)
            {
                var status = await connection.Client.GetGrain<ISimulationGrain>(runId).GetStatusAsync();
                Assert.True(status.State == SimulationState.Running, $"run {runId} is {status.State} before round {rounds}: {status.Error}");
                if (status.RoundsCompleted >= rounds)
                {
                    return await connection.Client.GetGrain<ISimulationGrain>(runId).GetInfoAsync() ?? throw new InvalidOperationException($"run {runId} has no record");
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no run reached round {rounds} within 90 s: {cluster.Log()}");
    }

    [Fact]
    public async Task ARunOnThreeSiloProcessesEqualsTheEmbeddedRunAndItsLogReplaysWithVerify()
    {
        string[] args = ["--agents", "3000", "--rounds", "4", "--partitions", "6", "--seed", "7"];
        var folder = Out("cluster");
        var (code, _, error) = await InvokeAsync(["run", Scenario, .. args, "--cluster", cluster.Cluster, "--out", folder]);
        Assert.True(code == 0, error + cluster.Log());

        Assert.Equal(Stats(await EmbeddedAsync(args)), Stats(folder));
        var summary = Summary(folder);
        var silos = summary.GetProperty("cluster").GetProperty("partitionSilos").EnumerateArray().Select(s => s.GetString()!).ToArray();
        Assert.Equal(6, silos.Length);
        Assert.Equal(3, silos.Distinct().Count()); // spread over every agents silo
        var log = summary.GetProperty("log").GetString()!;
        Assert.StartsWith(cluster.LogRoot, log);

        // Every silo closed its streams of the run when it ended (the silos live on): nothing holds the log open.
        Assert.Null(AgentSwarm.Replay.RunLog.StreamBeingWritten(log));

        var (replayCode, replayOut, replayError) = await InvokeAsync(["replay", log, "--verify"]);
        Assert.True(replayCode == 0, replayError);
        Assert.Contains("verified: all 4 rounds match", replayOut + replayError);

        var (listCode, listOut, _) = await InvokeAsync(["runs", "--cluster", cluster.Cluster]);
        Assert.Equal(0, listCode);
        Assert.Contains(summary.GetProperty("runId").GetString()!, listOut);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task KillingASiloMidRunStillGivesTheUndisturbedResults(bool controllerSilo) => LoseASiloMidRunAsync(controllerSilo, graceful: false);

    /// <summary>SIGTERM to the controller's silo: its controller is deactivated under its loop and must leave the run running for another silo.</summary>
    [Fact]
    public Task StoppingTheControllersSiloGracefullyMidRunStillGivesTheUndisturbedResults() => LoseASiloMidRunAsync(controllerSilo: true, graceful: true);

    private async Task LoseASiloMidRunAsync(bool controllerSilo, bool graceful)
    {
        string[] args = ["--agents", "20000", "--rounds", "24", "--partitions", "6", "--seed", "11"];
        var folder = Out("killed");
        using var detach = new CancellationTokenSource();
        var submitted = InvokeAsync(["run", Scenario, .. args, "--cluster", cluster.Cluster, "--out", folder], detach.Token);

        // Wait for round 2, then kill -9 the silo that holds the controller (or one that does not).
        var info = await WaitForRoundAsync(cluster, 2);
        var controller = cluster.IndexOf(info.ControllerSilo);
        var victim = controllerSilo ? controller : Enumerable.Range(0, cluster.Count).First(i => i != controller);
        Assert.True(victim >= 0, $"controller on an unknown silo {info.ControllerSilo}");
        if (graceful)
        {
            await cluster.StopAsync(victim);
        }
        else
        {
            cluster.Kill(victim);
        }

        var (code, _, error) = await submitted.WaitAsync(TimeSpan.FromMinutes(4));
        await cluster.StartSiloAsync(victim);
        Assert.True(code == 0, error + cluster.Log());
        Assert.Equal(Stats(await EmbeddedAsync(args)), Stats(folder));
        var recoveries = Summary(folder).GetProperty("cluster").GetProperty("recoveries");
        Assert.True(recoveries.GetArrayLength() >= 1, "the run should say it recovered");
        var (replayCode, _, replayError) = await InvokeAsync(["replay", Summary(folder).GetProperty("log").GetString()!, "--verify"]);
        Assert.True(replayCode == 0, replayError);
    }

    /// <summary>
    /// A deterministic model behind the OpenAI wire format, in this process: every answer is a function of its prompt
    /// (and names the prompt's hash, so no two calls share a cached response), and every request is counted.
    /// </summary>
    internal static async Task<FakeModelServer> CountingModelAsync()
    {
        var server = await FakeModelServer.StartAsync();
        server.AnswerText = body =>
        {
            var messages = body["messages"]!.AsArray();
            var prompt = string.Join("\n", messages.Select(m => m!["content"]!.GetValue<string>()));
            var hash = System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(prompt));
            var number = (int)(hash % 101);
            return prompt.Contains("reply with only the number", StringComparison.OrdinalIgnoreCase)
                ? number.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : $"Having weighed it ({hash:x16}), I choose {number}.";
        };
        return server;
    }

    [Fact]
    public async Task KillingASiloMidLlmRunGivesTheUndisturbedResultsWithoutPayingForRecordedCallsAgain()
    {
        await using var model = await CountingModelAsync();
        const int rounds = 12;
        string[] args = ["--agents", "200", "--rounds", $"{rounds}", "--partitions", "6", "--seed", "3", "--policy", "llm", "--llm", $"openai={model.BaseUri}v1/fake-model"];

        var embedded = await EmbeddedAsync(args);
        var undisturbed = model.Count;
        Assert.True(undisturbed >= 200 * rounds, $"the undisturbed run made {undisturbed} calls");

        var folder = Out("llm-killed");
        var submitted = InvokeAsync(["run", Scenario, .. args, "--cluster", cluster.Cluster, "--out", folder]);
        var info = await WaitForRoundAsync(cluster, 3);
        var victim = Enumerable.Range(0, cluster.Count).First(i => i != cluster.IndexOf(info.ControllerSilo));
        cluster.Kill(victim);
        var (code, _, error) = await submitted.WaitAsync(TimeSpan.FromMinutes(4));
        await cluster.StartSiloAsync(victim);
        Assert.True(code == 0, error + cluster.Log());

        Assert.Equal(Stats(embedded), Stats(folder));
        Assert.True(Summary(folder).GetProperty("cluster").GetProperty("recoveries").GetArrayLength() >= 1, "the run should say it recovered");

        // Every agent asks its answer once a round (200 agents, all with the same prompt, as the model's answers depend
        // on the prompt alone). Rounds up to the last checkpoint and the rounds finished after it are answered from the
        // log again; only the answers of the round in flight that were not yet on disk may be paid for twice: at most
        // one round's 200, all of one round. (Extraction calls are left out of the count: the agents of one silo share
        // one when their answers match, so how many are made depends on which silo holds which agents.)
        var first = AnswerCalls(model.Requests.Take(undisturbed));
        var second = AnswerCalls(model.Requests.Skip(undisturbed));
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        Assert.All(first, round => Assert.Equal(200, round.Value));
        var repeated = second.Where(r => r.Value > first[r.Key]).ToDictionary(r => r.Key, r => r.Value - first[r.Key]);
        output.WriteLine($"LLM calls: undisturbed {undisturbed}, killed after checkpoint {info.CheckpointRound}: {model.Count - undisturbed}; answers paid twice: {(repeated.Count == 0 ? "none" : string.Join(", ", repeated.Select(r => $"{r.Value} of round {r.Key}")))}");
        Assert.True(repeated.Count <= 1, $"answers of more than one round were paid for twice: {string.Join(", ", repeated.Select(r => $"{r.Value} of round {r.Key}"))}");
        Assert.True(repeated.Values.Sum() <= 200, $"{repeated.Values.Sum()} answers were paid for twice, more than the 200 of one round");
    }

    /// <summary>The answer calls (not the extractions) a model server saw, counted by the round their last question names.</summary>
    private static Dictionary<int, int> AnswerCalls(IEnumerable<System.Text.Json.Nodes.JsonObject> requests) =>
        requests.Select(body => body["messages"]!.AsArray())
            .Where(messages => !messages[0]!["content"]!.GetValue<string>().Contains("reply with only the number", StringComparison.OrdinalIgnoreCase))
            .Select(messages => messages[^1]!["content"]!.GetValue<string>())
            .GroupBy(question => int.Parse(System.Text.RegularExpressions.Regex.Matches(question, @"Round (\d+)\.").Last().Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public async Task TheClientMayLeaveMidRunAndAttachFindsTheRunGoingAndSeesItFinish()
    {
        using var leave = new CancellationTokenSource();
        var folder = Out("left");
        var submitted = InvokeAsync(["run", Scenario, "--agents", "20000", "--rounds", "20", "--cluster", cluster.Cluster, "--out", folder], leave.Token);
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(folder, "rounds.jsonl")) || new FileInfo(Path.Combine(folder, "rounds.jsonl")).Length == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "no round finished");
            await Task.Delay(50);
        }

        leave.Cancel(); // Ctrl+C: the client detaches
        var (code, _, error) = await submitted.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(130, code);
        Assert.Contains("goes on in the cluster", error);
        var runId = System.Text.RegularExpressions.Regex.Match(error, @"run (\S+) submitted").Groups[1].Value;

        var attached = Out("attached");
        var (attachCode, attachOut, attachError) = await InvokeAsync(["attach", runId, "--cluster", cluster.Cluster, "--out", attached]);
        Assert.True(attachCode == 0, attachError);
        Assert.Contains("completed: 20/20 rounds", attachOut);
        Assert.Equal("completed", Summary(attached).GetProperty("state").GetString());
    }

    [Fact]
    public async Task AConsoleSiloStartedAgainFollowsTheRunsAnEarlierOneLeftGoingAndCancelsThem()
    {
        string? id = null;
        var consoles = new List<(Task<int> Command, CancellationTokenSource Stop)>();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            // A console-only silo joins the cluster, launches a long run and then stops while the run goes on.
            var (first, firstStop, firstLink) = await StartConsoleSiloAsync(consoles);
            http.BaseAddress = new Uri(firstLink);
            var launched = await http.PostAsync("/api/runs", new StringContent("""{"scenario":"guess-two-thirds.yaml","agents":20000,"rounds":100000}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.Created, launched.StatusCode);
            id = JsonDocument.Parse(await launched.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            await ReadEventsUntilAsync(http, id, "round");

            await firstStop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await first.WaitAsync(TimeSpan.FromMinutes(1)));
            var folder = Path.Combine(cluster.LogRoot, id);
            Assert.Equal("running", Summary(folder).GetProperty("state").GetString());
            var left = Summary(folder).GetProperty("roundsCompleted").GetInt32();
            Assert.True(left is > 0 and < 100000, $"{left} rounds when the first console left");

            // Beside it, a folder whose summary says running for a run the cluster has never had (as after a cluster restart
            // on memory storage).
            var gone = "gone-" + Guid.NewGuid().ToString("N")[..8];
            Directory.CreateDirectory(Path.Combine(cluster.LogRoot, gone));
            var summaryText = File.ReadAllText(Path.Combine(folder, "summary.json")).Replace(id, gone, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(cluster.LogRoot, gone, "summary.json"), summaryText);

            // A new console on the same runs folder follows it again: live, so it can be cancelled from the page.
            var (second, secondStop, secondLink) = await StartConsoleSiloAsync(consoles);
            using var again = new HttpClient { BaseAddress = new Uri(secondLink), Timeout = TimeSpan.FromSeconds(30) };
            var taken = Stopwatch.StartNew();

            // Its event stream on the new console says what it is now (detached), then, once the console follows it again,
            // carries its rounds.
            await ReadEventsUntilAsync(again, id, "round");
            var entry = JsonDocument.Parse(await again.GetStringAsync($"/api/runs/{id}")).RootElement.GetProperty("run");
            Assert.True(entry.GetProperty("live").GetBoolean(), $"run {id} is not followed again: {entry}");

            Assert.Equal(System.Net.HttpStatusCode.Accepted, (await again.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
            await ReadEventsUntilAsync(again, gone, "end");
            entry = JsonDocument.Parse(await again.GetStringAsync($"/api/runs/{gone}")).RootElement.GetProperty("run");
            Assert.Equal("stopped", entry.GetProperty("state").GetString());
            Assert.Contains($"the cluster has no run '{gone}' now", entry.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await again.DeleteAsync($"/api/runs/{gone}?confirm={gone}")).StatusCode);
            await ReadEventsUntilAsync(again, id, "end");

            await secondStop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await second.WaitAsync(TimeSpan.FromMinutes(1)));

            // The folder has the whole run, from its first round to where it was cancelled, as if no console had left.
            var summary = Summary(folder);
            Assert.Equal("cancelled", summary.GetProperty("state").GetString());
            var completed = summary.GetProperty("roundsCompleted").GetInt32();
            Assert.True(completed >= left && completed < 100000, $"{completed} rounds after the cancel, {left} when the first console left");
            var rounds = File.ReadAllLines(Path.Combine(folder, "rounds.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("round").GetInt32()).ToArray();
            Assert.Equal(Enumerable.Range(1, completed), rounds);
            Assert.True(summary.GetProperty("wallSeconds").GetDouble() > taken.Elapsed.TotalSeconds, "the wall time counts from the run's start, not from when the second console took it up");
        }
        finally
        {
            // A failed assertion must not leave a long run or a console silo going for the tests after this one.
            if (id is not null)
            {
                await InvokeAsync(["cancel", id, "--cluster", cluster.Cluster]);
            }

            foreach (var (command, stop) in consoles)
            {
                await stop.CancelAsync();
                await command.WaitAsync(TimeSpan.FromMinutes(1)).ContinueWith(_ => { }, TaskScheduler.Default);
                stop.Dispose();
            }
        }
    }

    /// <summary>Reads a run's server-sent events until the named one arrives (bounded: a minute a line).</summary>
    private static async Task ReadEventsUntilAsync(HttpClient console, string id, string name)
    {
        await using var events = await console.GetStreamAsync($"/api/runs/{id}/events");
        using var reader = new StreamReader(events);
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1)) is { } line)
        {
            if (line == $"event: {name}")
            {
                return;
            }
        }

        Assert.Fail($"run {id}'s events ended without '{name}'");
    }

    private async Task<(Task<int> Command, CancellationTokenSource Stop, string Link)> StartConsoleSiloAsync(List<(Task<int> Command, CancellationTokenSource Stop)> consoles)
    {
        var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var output = new LinkWriter();
        var command = AgentSwarmCommand.InvokeAsync(
            ["silo", "--roles", "console", "--cluster", cluster.Cluster, "--storage", cluster.Storage, "--urls", "http://127.0.0.1:0",
             "--silo-port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--gateway-port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--log-root", cluster.LogRoot, "--scenarios", Path.Combine(AppContext.BaseDirectory, "scenarios")],
            output,
            new StringWriter(),
            stop.Token);
        consoles.Add((command, stop));
        var link = await output.Link.Task.WaitAsync(TimeSpan.FromMinutes(1));
        return (command, stop, link);
    }

    [Fact]
    public async Task BadClusterInputGetsAClearMessageAndANonZeroExitWithoutHanging()
    {
        var clock = Stopwatch.StartNew();
        var (code, _, error) = await InvokeAsync(["runs", "--cluster", "redis=nowhere"]);
        Assert.Equal(2, code);
        Assert.Contains("--cluster: 'redis=nowhere': the Redis address must be HOST:PORT", error);

        (code, _, error) = await InvokeAsync(["runs", "--cluster", "etcd=127.0.0.1:2379"]);
        Assert.Equal(2, code);
        Assert.Contains("is not a cluster address", error);

        (code, _, error) = await InvokeAsync(["runs", "--cluster", $"redis=127.0.0.1:{RedisServer.FreePort()}", "--wait", "3"]);
        Assert.Equal(1, code);
        Assert.Contains("no silo of cluster 'agentswarm' answered", error);

        (code, _, error) = await InvokeAsync(["runs", "--cluster", cluster.Cluster, "--cluster-id", "not-this-one", "--wait", "3"]);
        Assert.Equal(1, code);
        Assert.Contains("no silo of cluster 'not-this-one' answered", error);

        (code, _, error) = await InvokeAsync(["attach", "no-such-run", "--cluster", cluster.Cluster]);
        Assert.Equal(2, code);
        Assert.Contains("no run 'no-such-run'", error);

        (code, _, error) = await InvokeAsync(["cancel", "no-such-run", "--cluster", cluster.Cluster]);
        Assert.Equal(2, code);
        Assert.Contains("no run 'no-such-run'", error);
        Assert.DoesNotContain("   at ", error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"bad input took {clock.Elapsed}");
    }
}

/// <summary>Two silo processes on Redis membership that keep their durable state in a real Azurite (Azure Table storage).</summary>
public sealed class AzureTableSiloClusterFixture() : SiloClusterFixture(silos: 2, azureTables: true);

[CollectionDefinition(Name)]
public sealed class AzureTableSiloClusterCollection : ICollectionFixture<AzureTableSiloClusterFixture>
{
    public const string Name = "silo cluster on Azure Table storage";
}

[Collection(AzureTableSiloClusterCollection.Name)]
[Trait("Category", "Cluster")]
public sealed class AzureTableClusterTests(AzureTableSiloClusterFixture cluster)
{
    [Fact]
    public async Task ARunOutlivesItsWholeClusterThroughAzureTableStorage()
    {
        // Each round waits 250 ms (dummy-latency), so the run cannot finish in the moment between seeing round 2 and
        // the kills: with heuristic agents it sometimes did, and the run then had nothing to recover from.
        string[] args = ["--agents", "6000", "--rounds", "16", "--partitions", "4", "--seed", "5", "--policy", "dummy-latency", "--latency", "250ms"];
        var folder = Path.Combine(cluster.Folder, "azure-" + Guid.NewGuid().ToString("N")[..6]);
        var submitted = ClusterTests.InvokeAsync(["run", ClusterTests.Scenario, .. args, "--cluster", cluster.Cluster, "--out", folder]);

        // Every silo dies (kill -9) after round 2: nothing of the run is left in any process, only its record and its
        // partitions' checkpoints in Azure Table storage and its log on disk. New silos pick it up from there. The
        // client, finding no silo at all, says it lost the cluster and how to follow the run again (exit 1); unless a
        // silo was back before it looked, it then follows the run with attach, as it says.
        await ClusterTests.WaitForRoundAsync(cluster, 2);
        for (var i = 0; i < cluster.Count; i++)
        {
            cluster.Kill(i);
        }

        for (var i = 0; i < cluster.Count; i++)
        {
            await cluster.StartSiloAsync(i);
        }

        var (code, _, error) = await submitted.WaitAsync(TimeSpan.FromMinutes(4));
        if (code == 1)
        {
            Assert.Contains("lost the cluster", error);
            var runId = System.Text.RegularExpressions.Regex.Match(error, @"run (\S+) submitted").Groups[1].Value;
            Assert.Contains($"agentswarm attach {runId}", error);
            (code, _, error) = await ClusterTests.InvokeAsync(["attach", runId, "--cluster", cluster.Cluster, "--out", folder]).WaitAsync(TimeSpan.FromMinutes(4));
        }

        Assert.True(code == 0, error + cluster.Log());
        var embedded = Path.Combine(cluster.Folder, "azure-embedded-" + Guid.NewGuid().ToString("N")[..6]);
        var (embeddedCode, _, embeddedError) = await ClusterTests.InvokeAsync(["run", ClusterTests.Scenario, .. args, "--out", embedded]);
        Assert.True(embeddedCode == 0, embeddedError);
        Assert.Equal(ClusterTests.Stats(embedded), ClusterTests.Stats(folder));
        Assert.True(ClusterTests.Summary(folder).GetProperty("cluster").GetProperty("recoveries").GetArrayLength() >= 1, "the run should say it recovered");
        var (replayCode, _, replayError) = await ClusterTests.InvokeAsync(["replay", ClusterTests.Summary(folder).GetProperty("log").GetString()!, "--verify"]);
        Assert.True(replayCode == 0, replayError);
    }
}
