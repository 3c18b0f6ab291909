using System.Diagnostics;
using AgentSwarm.Cli;
using AgentSwarm.Hosting;
using AgentSwarm.Testing;

namespace AgentSwarm.Cluster.Tests;

/// <summary>A cluster of one silo process on a real redis-server: what its client and the silo do when a part of it goes.</summary>
[Trait("Category", "Cluster")]
public sealed class LostClusterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agentswarm-lost-cluster-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Dll() =>
        Path.Combine(Repository.Root(), "src", "AgentSwarm.Cli", "bin", new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "agentswarm.dll");

    [Fact]
    public async Task AClientWhoseOnlySiloIsKilledSaysWithinSecondsThatTheRunLivesOnInTheClusterAndExitsOne()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var silos = await SiloProcesses.StartAsync(1, redis, $"redis={redis.Address}", checkpointEvery: 1, Path.Combine(_folder, "logs"), progress: null, CancellationToken.None, Dll());
        var scenario = Path.Combine(_folder, "slow.yaml");
        await File.WriteAllTextAsync(scenario, "scenario: guess-two-thirds\nagents: 20\nrounds: 200\npolicy:\n  name: dummy-latency\n  latency: 100ms\n");
        var outDir = Path.Combine(_folder, "out");
        var output = new StringWriter();
        var error = new StringWriter();
        var run = AgentSwarmCommand.InvokeAsync(["run", scenario, "--cluster", silos.Cluster, "--out", outDir], output, error);

        // Kill the silo once the run has finished a round (bounded wait).
        var rounds = Path.Combine(outDir, "rounds.jsonl");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!(File.Exists(rounds) && new FileInfo(rounds).Length > 0) && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            await Task.Delay(50);
        }

        Assert.False(run.IsCompleted, $"the run ended before the kill: {error}");
        silos.Kill(0);
        var clock = Stopwatch.StartNew();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(code == 1, $"exit {code}: {error}");
        var message = error.ToString();
        Assert.Contains("lost the cluster", message);
        Assert.Contains("lives on in the cluster's storage", message);
        Assert.Contains("agentswarm attach", message);
        Assert.DoesNotContain("   at ", message + output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the client took {clock.Elapsed} to notice");
    }

    [Fact]
    public async Task ASiloWhoseRedisIsGoneLeavesWithinABoundedTimeOnSigtermAndSaysWhy()
    {
        var redis = await RedisServer.StartAsync();
        await using var silos = await SiloProcesses.StartAsync(1, redis, "memory", checkpointEvery: 1, Path.Combine(_folder, "logs"), progress: null, CancellationToken.None, Dll());
        await redis.DisposeAsync();

        var clock = Stopwatch.StartNew();
        await silos.StopAsync(0);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the silo took {clock.Elapsed} to stop");
        Assert.Equal(1, silos.ExitCode(0));
        Assert.Contains("did not leave the cluster gracefully", silos.Log());
    }

    [Fact]
    public async Task ASiloThatCannotReachRedisAtStartSaysSoInOneLine()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Dll(), "silo", "--cluster", $"redis=127.0.0.1:{RedisServer.FreePort()}", "--silo-port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--gateway-port", RedisServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var text = (await stdout + await stderr).Trim();

        Assert.Equal(1, process.ExitCode);
        Assert.StartsWith("error: the silo did not start: cannot connect to Redis at 127.0.0.1:", text);
        Assert.DoesNotContain('\n', text);
    }
}
