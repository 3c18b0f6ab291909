using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using Orleans.Runtime;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench cluster`: what the cluster costs and what a lost silo costs, on this machine. It starts its own
/// redis-server and `agentswarm silo` processes on free loopback ports, and stops them.
/// - Scale: the same heuristic guess-2/3 run on one embedded silo (its own process) and on 2, 3, ... silo processes on
///   Redis membership: seconds per round and each silo's peak RSS.
/// - Loss: a run on 3 silos checkpointing every round to Redis; after round 2 one silo that does not hold the
///   controller is killed (kill -9): the time until membership declares it dead, until the run resumes, the rounds
///   it ran again, and whether it completed.
/// </summary>
internal static class ClusterBench
{
    public sealed record Settings(int Agents, int Rounds, int[] Silos, int KillAgents, int KillRounds)
    {
        /// <summary>Every scale run has the same partitions (4 per silo of the largest cluster), so only the silos differ.</summary>
        public int Partitions => 4 * Silos.Max();
    }

    public static async Task<int> ExecuteAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var redis = await RedisServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("agentswarm-bench-cluster-").FullName;
        try
        {
            var scale = new JsonArray();
            foreach (var silos in settings.Silos)
            {
                await error.WriteLineAsync($"bench cluster: {settings.Agents:N0} agents, {settings.Rounds} rounds on {(silos == 1 ? "1 embedded silo" : $"{silos} silo processes")}");
                var row = silos == 1 ? await EmbeddedAsync(settings, error, cancellationToken) : await SilosAsync(settings, silos, redis, folder, error, cancellationToken);
                if (row is null)
                {
                    return ExitCodes.Failed;
                }

                scale.Add(row);
            }

            await error.WriteLineAsync($"bench cluster: {settings.KillAgents:N0} agents on 3 silos, one killed with kill -9 after round 2");
            var loss = await LossAsync(settings, redis, folder, error, cancellationToken);
            Print(output, scale, loss);
            await output.WriteLineAsync(new JsonObject { ["bench"] = "cluster", ["processors"] = Environment.ProcessorCount, ["scale"] = scale, ["loss"] = loss }.ToJsonString());
            return loss["completed"]!.GetValue<bool>() ? ExitCodes.Success : ExitCodes.Failed;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<JsonObject?> EmbeddedAsync(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        var child = await EngineBench.RunChildAsync(new EngineBench.Settings("guess", settings.Agents, settings.Rounds, TimeSpan.Zero, settings.Partitions, [AgentHosting.Grain]), error, cancellationToken);
        if (child is null)
        {
            return null;
        }

        var rounds = child["roundSeconds"]!.AsArray().Select(x => (double)x!).ToArray();
        return Row(1, (int)child["partitions"]!, (double)child["setupSeconds"]!, rounds, [(long)child["peakRssBytes"]!]);
    }

    private static async Task<JsonObject?> SilosAsync(Settings settings, int count, RedisServer redis, string folder, TextWriter error, CancellationToken cancellationToken)
    {
        await using var cluster = await SiloProcesses.StartAsync(count, redis, "memory", 0, Path.Combine(folder, "logs"), error, cancellationToken);
        await using var connection = await cluster.ConnectAsync(cancellationToken);
        var spec = EngineBench.Spec(new EngineBench.Settings("guess", settings.Agents, settings.Rounds, TimeSpan.Zero, settings.Partitions, [AgentHosting.Grain]));
        var clock = Stopwatch.StartNew();
        var outcome = await new SimulationDriver(connection.Client) { PollInterval = TimeSpan.FromMilliseconds(50) }.RunAsync($"bench-{count}-silos", spec, null, null, cancellationToken);
        if (outcome.Final.State != SimulationState.Completed)
        {
            await error.WriteLineAsync($"error: the run on {count} silos {outcome.Final.State.ToString().ToLowerInvariant()}: {outcome.Final.Error}");
            return null;
        }

        var rounds = outcome.Rounds.Select(r => r.Elapsed.TotalSeconds).ToArray();
        var setup = clock.Elapsed.TotalSeconds - rounds.Sum();
        return Row(count, spec.Partitions, setup, rounds, cluster.PeakRss());
    }

    private static JsonObject Row(int silos, int partitions, double setup, double[] rounds, long[] peakRss) => new()
    {
        ["silos"] = silos,
        ["partitions"] = partitions,
        ["setupSeconds"] = Math.Round(setup, 3),
        ["roundSeconds"] = new JsonArray([.. rounds.Select(r => (JsonNode)Math.Round(r, 3))]),
        ["steadySecondsPerRound"] = Math.Round(rounds.Length > 1 ? rounds.Skip(1).Average() : rounds[0], 3),
        ["peakRssBytesPerSilo"] = new JsonArray([.. peakRss.Select(r => (JsonNode)r)]),
    };

    private static async Task<JsonObject> LossAsync(Settings settings, RedisServer redis, string folder, TextWriter error, CancellationToken cancellationToken)
    {
        await using var cluster = await SiloProcesses.StartAsync(3, redis, $"redis={redis.Address}", 1, Path.Combine(folder, "logs"), error, cancellationToken);
        await using var connection = await cluster.ConnectAsync(cancellationToken);
        var spec = EngineBench.Spec(new EngineBench.Settings("guess", settings.KillAgents, settings.KillRounds, TimeSpan.Zero, null, [AgentHosting.Grain])) with { Partitions = 6 };
        var runId = "bench-loss-" + Guid.NewGuid().ToString("N")[..8];
        var grain = connection.Client.GetGrain<ISimulationGrain>(runId);
        var driver = new SimulationDriver(connection.Client) { PollInterval = TimeSpan.FromMilliseconds(50) };
        var run = driver.RunAsync(runId, spec, null, null, cancellationToken);

        // Round 2 done: kill -9 a silo that does not hold the controller.
        var waited = Stopwatch.StartNew();
        SimulationStatus status;
        while ((status = await grain.GetStatusAsync()).RoundsCompleted < 2)
        {
            if (status.State is not (SimulationState.Running or SimulationState.Pending) || waited.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new InvalidOperationException($"the run did not reach round 2 ({status.State}, {status.Error})");
            }

            await Task.Delay(20, cancellationToken);
        }

        var info = await grain.GetInfoAsync() ?? throw new InvalidOperationException("the run has no record");
        var victim = Enumerable.Range(0, 3).First(i => !info.ControllerSilo.Contains($":{cluster.SiloPorts[i]}:", StringComparison.Ordinal));
        var roundsAtKill = (await grain.GetStatusAsync()).RoundsCompleted;
        var killed = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        cluster.Kill(victim);

        // Declared dead: membership (read through the management grain) says so.
        var management = connection.Client.GetGrain<IManagementGrain>(0);
        double? dead = null;
        while (dead is null && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: false);
                if (hosts.Any(h => h.Key.Endpoint.Port == cluster.SiloPorts[victim] && h.Value == SiloStatus.Dead))
                {
                    dead = clock.Elapsed.TotalSeconds;
                }
            }
            catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
            {
                // The management grain was on the lost silo: ask again.
            }

            await Task.Delay(20, cancellationToken);
        }

        var outcome = await run;
        var recovery = outcome.Info?.Recoveries.FirstOrDefault();
        return new JsonObject
        {
            ["agents"] = settings.KillAgents,
            ["rounds"] = settings.KillRounds,
            ["roundsAtKill"] = roundsAtKill,
            ["declaredDeadSeconds"] = dead is { } d ? Math.Round(d, 3) : null,
            ["noticedSeconds"] = recovery is null ? null : Math.Round((recovery.NoticedUtc - killed).TotalSeconds, 3),
            ["runningAgainSeconds"] = recovery is null ? null : Math.Round((recovery.ResumedUtc - killed).TotalSeconds, 3),
            ["interruptedRound"] = recovery?.Round,
            ["rolledBackTo"] = recovery?.RolledBackTo,
            ["roundsRunAgain"] = recovery is null ? null : recovery.Round - 1 - recovery.RolledBackTo,
            ["recoveries"] = outcome.Info?.Recoveries.Length ?? 0,
            ["completed"] = outcome.Final.State == SimulationState.Completed,
            ["wallSeconds"] = Math.Round(outcome.Wall.TotalSeconds, 3),
        };
    }

    private static void Print(TextWriter output, JsonArray scale, JsonObject loss)
    {
        output.WriteLine("silos | partitions | set-up s | s/round (steady) | peak RSS MB per silo");
        output.WriteLine("------+------------+----------+------------------+---------------------");
        foreach (var row in scale.Select(r => r!.AsObject()))
        {
            var rss = string.Join(", ", row["peakRssBytesPerSilo"]!.AsArray().Select(r => ((long)r! / 1048576.0).ToString("N0", CultureInfo.InvariantCulture)));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(int)row["silos"]!,5} | {(int)row["partitions"]!,10} | {(double)row["setupSeconds"]!,8:F1} | {(double)row["steadySecondsPerRound"]!,16:F2} | {rss}"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"silo killed after round {(int)loss["roundsAtKill"]!} (noticed in round {loss["interruptedRound"]?.ToString() ?? "-"}): declared dead after {Seconds(loss["declaredDeadSeconds"])}, noticed by the run after {Seconds(loss["noticedSeconds"])}, running again after {Seconds(loss["runningAgainSeconds"])}; rolled back to round {loss["rolledBackTo"]?.ToString() ?? "-"} ({loss["roundsRunAgain"]?.ToString() ?? "-"} complete rounds run again, and the interrupted one); {(loss["completed"]!.GetValue<bool>() ? "completed" : "did not complete")}"));
    }

    private static string Seconds(JsonNode? value) => value is null ? "-" : ((double)value).ToString("F2", CultureInfo.InvariantCulture) + " s";
}
