using System.Diagnostics;
using System.Text.Json;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Testing;

namespace AgentSwarm.Cli.Tests;

/// <summary>
/// A real cluster: redis-server for membership and storage, and three `agentswarm silo` processes (so kill -9 is a
/// real kill). Tests submit runs with the CLI in this process, as a user's client would.
/// </summary>
public sealed class SiloClusterFixture : IAsyncLifetime
{
    private readonly Process?[] _silos = new Process?[3];
    private readonly int[] _siloPorts = [RedisServer.FreePort(), RedisServer.FreePort(), RedisServer.FreePort()];
    private readonly System.Text.StringBuilder _log = new();

    public RedisServer Redis { get; private set; } = null!;

    public string Folder { get; } = Directory.CreateTempSubdirectory("agentswarm-cluster-").FullName;

    public string LogRoot => Path.Combine(Folder, "logs");

    public string Cluster => $"redis={Redis.Address}";

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        for (var i = 0; i < _silos.Length; i++)
        {
            await StartSiloAsync(i);
        }
    }

    /// <summary>Silo i's address as Orleans prints it (S127.0.0.1:PORT:...), to match placement reports.</summary>
    public int SiloPort(int i) => _siloPorts[i];

    public int IndexOf(string siloAddress) => Array.FindIndex(_siloPorts, p => siloAddress.Contains($":{p}:", StringComparison.Ordinal));

    public async Task StartSiloAsync(int i)
    {
        var dll = Path.Combine(RepositoryRoot(), "src", "AgentSwarm.Cli", "bin", Configuration(), "net10.0", "agentswarm.dll");
        Assert.True(File.Exists(dll), $"the agentswarm build is missing at {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            dll, "silo", "--cluster", Cluster, "--storage", Cluster, "--silo-port", _siloPorts[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--log-root", LogRoot,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var up = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine($"[silo {i}] {e.Data}");
            }

            if (e.Data?.Contains("is up", StringComparison.Ordinal) == true)
            {
                up.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_log)
            {
                _log.AppendLine($"[silo {i} err] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _silos[i] = process;
        // Up, or exited early: either way no longer than the bound.
        await Task.WhenAny(up.Task, process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(up.Task.IsCompleted, $"silo {i} did not come up: {Log()}");
    }

    /// <summary>kill -9: no goodbye to the cluster.</summary>
    public void Kill(int i)
    {
        _silos[i]!.Kill(entireProcessTree: true);
        _silos[i]!.WaitForExit();
    }

    public string Log()
    {
        lock (_log)
        {
            var text = _log.ToString();
            return text.Length > 6000 ? text[^6000..] : text;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            if (silo is { HasExited: false })
            {
                silo.Kill(entireProcessTree: true);
                await silo.WaitForExitAsync();
            }
        }

        await Redis.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    public static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "AgentSwarm.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("no AgentSwarm.sln above " + AppContext.BaseDirectory);
    }

    private static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
}

[CollectionDefinition(Name)]
public sealed class SiloClusterCollection : ICollectionFixture<SiloClusterFixture>
{
    public const string Name = "silo cluster";
}

[Collection(SiloClusterCollection.Name)]
public sealed class ClusterTests(SiloClusterFixture cluster)
{
    private static readonly string Scenario = Path.Combine(AppContext.BaseDirectory, "scenarios", "guess-two-thirds.yaml");

    private static async Task<(int Code, string Out, string Error)> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await AgentSwarmCommand.InvokeAsync(args, output, error, cancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    private string Out(string name) => Path.Combine(cluster.Folder, name + "-" + Guid.NewGuid().ToString("N")[..6]);

    private static JsonElement Summary(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json"))).RootElement;

    private static string[] Stats(string folder) =>
        [.. Summary(folder).GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("stats").GetRawText() + r.GetProperty("agentSteps").GetRawText())];

    private async Task<string> EmbeddedAsync(string[] args)
    {
        var folder = Out("embedded");
        var (code, _, error) = await InvokeAsync(["run", Scenario, .. args, "--out", folder]);
        Assert.True(code == 0, error);
        return folder;
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
    public async Task KillingASiloMidRunStillGivesTheUndisturbedResults(bool controllerSilo)
    {
        string[] args = ["--agents", "20000", "--rounds", "24", "--partitions", "6", "--seed", "11"];
        var folder = Out("killed");
        using var detach = new CancellationTokenSource();
        var submitted = InvokeAsync(["run", Scenario, .. args, "--cluster", cluster.Cluster, "--out", folder], detach.Token);

        // Wait for round 2, then kill -9 the silo that holds the controller (or one that does not).
        await using var connection = await ClusterConnection.ConnectAsync(ClusterAddress.TryParse(cluster.Cluster, out var address, out _) ? address : throw new InvalidOperationException(), null, null, TimeSpan.FromSeconds(30), CancellationToken.None);
        var registry = connection.Client.GetGrain<IRunRegistryGrain>(IRunRegistryGrain.Key);
        string? runId = null;
        var deadline = Stopwatch.StartNew();
        RunInfo? info = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            runId ??= (await registry.ListAsync()).Where(e => e.State == SimulationState.Running).OrderByDescending(e => e.CreatedUtc).Select(e => e.RunId).FirstOrDefault();
            if (runId is not null)
            {
                var status = await connection.Client.GetGrain<ISimulationGrain>(runId).GetStatusAsync();
                Assert.Equal(SimulationState.Running, status.State);
                if (status.RoundsCompleted >= 2)
                {
                    info = await connection.Client.GetGrain<ISimulationGrain>(runId).GetInfoAsync();
                    break;
                }
            }

            await Task.Delay(50);
        }

        Assert.NotNull(info);
        var controller = cluster.IndexOf(info.ControllerSilo);
        var victim = controllerSilo ? controller : Enumerable.Range(0, 3).First(i => i != controller);
        Assert.True(victim >= 0, $"controller on an unknown silo {info.ControllerSilo}");
        cluster.Kill(victim);

        var (code, _, error) = await submitted.WaitAsync(TimeSpan.FromMinutes(4));
        await cluster.StartSiloAsync(victim);
        Assert.True(code == 0, error + cluster.Log());
        Assert.Equal(Stats(await EmbeddedAsync(args)), Stats(folder));
        var recoveries = Summary(folder).GetProperty("cluster").GetProperty("recoveries");
        Assert.True(recoveries.GetArrayLength() >= 1, "the run should say it recovered");
        var (replayCode, _, replayError) = await InvokeAsync(["replay", Summary(folder).GetProperty("log").GetString()!, "--verify"]);
        Assert.True(replayCode == 0, replayError);
    }

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
