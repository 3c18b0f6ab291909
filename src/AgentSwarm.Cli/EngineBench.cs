using AgentSwarm.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench engine`: the engine's throughput and memory on one embedded silo. Each workload runs in a
/// fresh process (so its peak RSS is its own) and prints a table and one JSON line.
/// </summary>
internal static class EngineBench
{
    /// <param name="Hostings">The hostings to measure, each in its own process (one: it runs in this process).</param>
    public sealed record Settings(string Workload, int? Agents, int? Rounds, TimeSpan Latency, int? Partitions, AgentHosting[] Hostings)
    {
        public AgentHosting Hosting => Hostings[0];
    }

    private const string JsonPrefix = "{\"bench\":\"engine\"";

    public static async Task<int> ExecuteAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (settings.Workload != "all" && (settings.Workload == "baseline" || settings.Hostings.Length == 1))
        {
            var result = await RunWorkloadAsync(settings, error, cancellationToken);
            PrintTable(output, [result]);
            await output.WriteLineAsync(result.ToJsonString());
            return ExitCodes.Success;
        }

        // Every workload in each hosting, each in a process of its own; the baseline once, first.
        var runs = new List<Settings>();
        var workloads = settings.Workload == "all" ? ["baseline", "guess", "latency", "messages"] : new[] { settings.Workload };
        foreach (var workload in workloads)
        {
            if (workload == "baseline")
            {
                runs.Add(settings with { Workload = workload, Hostings = [settings.Hosting] });
                continue;
            }

            runs.AddRange(settings.Hostings.Select(h => settings with { Workload = workload, Hostings = [h] }));
        }

        var results = new List<JsonObject>();
        foreach (var run in runs)
        {
            var child = await RunChildAsync(run, error, cancellationToken);
            if (child is null)
            {
                return ExitCodes.Failed;
            }

            results.Add(child);
        }

        PrintTable(output, results);
        var all = new JsonObject
        {
            ["bench"] = "engine",
            ["workloads"] = new JsonArray([.. results.Select(r => (JsonNode)r.DeepClone())]),
        };
        if (results.FirstOrDefault(r => (string)r["workload"]! == "baseline") is { } baselineRow)
        {
            var baseline = (double)baselineRow["steadyAgentStepsPerSecond"]!;
            foreach (var guess in results.Where(r => (string)r["workload"]! == "guess"))
            {
                var engine = (double)guess["steadyAgentStepsPerSecond"]!;
                var ratio = baseline > 0 ? engine / baseline : 0;
                var hosting = (string)guess["hosting"]!;
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"guess on the engine, {hosting}: {engine:N0} steady agent-steps/s, {ratio:P1} of the same agents as plain .NET objects ({baseline:N0}/s): 1/{(ratio > 0 ? 1 / ratio : 0):F1} of the machine's ceiling"));
                all[$"guessToBaseline_{hosting}"] = Round(ratio);
            }
        }

        await output.WriteLineAsync(all.ToJsonString());
        return ExitCodes.Success;
    }

    private static async Task<JsonObject> RunWorkloadAsync(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        if (settings.Workload == "baseline")
        {
            return await Task.Run(() => RunBaseline(settings with { Workload = "guess" }, error, cancellationToken), cancellationToken);
        }

        var spec = Spec(settings);
        await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, cancellationToken);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = ProcessMemory.CurrentRss();
        var pauseBefore = GC.GetTotalPauseDuration();
        var gen0Before = GC.CollectionCount(0);
        var gen1Before = GC.CollectionCount(1);
        var gen2Before = GC.CollectionCount(2);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

        var runId = $"bench-{settings.Workload}-{Guid.NewGuid().ToString("N")[..8]}";
        var driver = new SimulationDriver(silo.Client) { PollInterval = TimeSpan.FromMilliseconds(100) };
        var lastReport = Stopwatch.StartNew();
        var outcome = await driver.RunAsync(
            runId,
            spec,
            status =>
            {
                if (lastReport.Elapsed > TimeSpan.FromSeconds(5) && status.CurrentRound > 0)
                {
                    lastReport.Restart();
                    error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {settings.Workload}: round {status.CurrentRound}/{status.Rounds}, {status.CurrentRoundAgentsDone:N0}/{status.Agents:N0} agents"));
                }
            },
            round => error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {settings.Workload}: round {round.Round} took {round.Elapsed.TotalSeconds:F3} s")),
            cancellationToken);

        if (outcome.Final.State != SimulationState.Completed)
        {
            throw new InvalidOperationException($"benchmark run ended {outcome.Final.State}: {outcome.Final.Error}");
        }

        var gcPause = GC.GetTotalPauseDuration() - pauseBefore;
        var gcCounts = new JsonArray(GC.CollectionCount(0) - gen0Before, GC.CollectionCount(1) - gen1Before, GC.CollectionCount(2) - gen2Before);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        // Agents are still active here: what the heap holds now over the baseline is the population's cost.
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var rssAfter = ProcessMemory.CurrentRss();
        var peakRss = ProcessMemory.PeakRss();

        var rounds = outcome.Rounds;
        var steady = rounds.Count > 1 ? rounds.Skip(1).ToArray() : rounds.ToArray();
        var steadySeconds = steady.Sum(r => r.Elapsed.TotalSeconds);

        // The JIT tiers the hot path up (with its profile) over the first rounds: a long run goes at the last rounds' pace.
        var warm = rounds.Count >= 4 ? rounds.Skip(rounds.Count / 2).ToArray() : steady;
        var warmSeconds = warm.Sum(r => r.Elapsed.TotalSeconds);
        var allSeconds = rounds.Sum(r => r.Elapsed.TotalSeconds);
        return new JsonObject
        {
            ["bench"] = "engine",
            ["workload"] = settings.Workload,
            ["hosting"] = HostingName(settings.Hosting),
            ["agents"] = spec.Agents,
            ["rounds"] = spec.Rounds,
            ["partitions"] = outcome.Final.Partitions,
            ["policy"] = spec.Policy.Name,
            ["latencySeconds"] = spec.Policy.Latency.TotalSeconds,
            ["topology"] = spec.Topology.Kind.ToString(),
            ["processors"] = Environment.ProcessorCount,
            ["setupSeconds"] = Round(outcome.Final.SetupTime.TotalSeconds),
            ["roundSeconds"] = new JsonArray([.. rounds.Select(r => (JsonNode)Round(r.Elapsed.TotalSeconds))]),
            ["firstRoundSeconds"] = Round(rounds[0].Elapsed.TotalSeconds),
            ["agentStepsPerSecond"] = Round(rounds.Sum(r => r.AgentSteps) / allSeconds),
            ["steadyAgentStepsPerSecond"] = Round(steady.Sum(r => r.AgentSteps) / steadySeconds),
            ["messages"] = rounds.Sum(r => r.Messages),
            ["messagesPerSecond"] = Round(rounds.Sum(r => r.Messages) / allSeconds),
            ["steadyMessagesPerSecond"] = Round(steady.Sum(r => r.Messages) / steadySeconds),
            ["warmRounds"] = warm.Length,
            ["warmAgentStepsPerSecond"] = Round(warm.Sum(r => r.AgentSteps) / warmSeconds),
            ["warmMessagesPerSecond"] = Round(warm.Sum(r => r.Messages) / warmSeconds),
            ["peakRssBytes"] = peakRss,
            ["rssBeforeBytes"] = rssBefore,
            ["rssAfterBytes"] = rssAfter,
            ["peakRssBytesPerAgent"] = Round((double)peakRss / spec.Agents),
            ["rssGrowthBytesPerAgent"] = Round((double)(rssAfter - rssBefore) / spec.Agents),
            ["managedBytesPerAgent"] = Round((double)(heapAfter - heapBefore) / spec.Agents),
            ["mindBytesPerAgent"] = Round(MindBytes(spec)),
            ["wallSeconds"] = Round(outcome.Wall.TotalSeconds),
            ["cpuSeconds"] = Round(cpu.TotalSeconds),
            ["cpuMicrosecondsPerAgentStep"] = Round(cpu.TotalMicroseconds / Math.Max(1, rounds.Sum(r => r.AgentSteps) + spec.Agents)),
            ["gcPauseSeconds"] = Round(gcPause.TotalSeconds),
            ["gcCollections"] = gcCounts,
        };
    }

    /// <summary>
    /// The machine's own ceiling for the guess workload: the same heuristic guess-2/3 agents (the scenario's minds, its
    /// per-agent random streams, its reduction and merge) as plain .NET objects, stepped in one process with one worker
    /// per core and no Orleans: what the engine's figures are compared with.
    /// </summary>
    private static JsonObject RunBaseline(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        var spec = Spec(settings);
        var scenario = new GuessTwoThirdsScenario();
        var workers = Environment.ProcessorCount;
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = ProcessMemory.CurrentRss();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var setupContext = new RoundContext("baseline", 0, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds);
        var minds = new Engine.Scenarios.IAgentMind[spec.Agents];
        Parallel.For(0, workers, new ParallelOptions { CancellationToken = cancellationToken }, w =>
        {
            for (var i = (int)((long)spec.Agents * w / workers); i < (int)((long)spec.Agents * (w + 1) / workers); i++)
            {
                minds[i] = scenario.CreateMind(setupContext, i);
            }
        });
        var setup = Stopwatch.GetElapsedTime(started);

        ScenarioBroadcast? broadcast = null;
        var actions = new AgentAction[spec.Agents];
        var roundSeconds = new List<double>();
        for (var round = 1; round <= spec.Rounds; round++)
        {
            var roundStarted = Stopwatch.GetTimestamp();
            var context = setupContext with { Round = round, Broadcast = broadcast };
            var partials = new RoundPartial[workers];
            Parallel.For(0, workers, new ParallelOptions { CancellationToken = cancellationToken }, w =>
            {
                var first = (int)((long)spec.Agents * w / workers);
                var end = (int)((long)spec.Agents * (w + 1) / workers);
                for (var i = first; i < end; i++)
                {
                    var turn = new Engine.Scenarios.AgentTurn(i, context, [], []);
                    var decision = minds[i].Heuristic(turn);
                    minds[i].Remember(turn, decision);
                    actions[i] = decision.Action;
                }

                partials[w] = scenario.Reduce(context, first, actions.AsSpan(first, end - first));
            });
            var stats = scenario.Merge(context, partials);
            broadcast = scenario.NextBroadcast(context, stats);
            roundSeconds.Add(Stopwatch.GetElapsedTime(roundStarted).TotalSeconds);
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  baseline: round {round} took {roundSeconds[^1]:F3} s"));
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(minds);
        var peakRss = ProcessMemory.PeakRss();
        var steady = roundSeconds.Count > 1 ? roundSeconds.Skip(1).ToArray() : [.. roundSeconds];
        return new JsonObject
        {
            ["bench"] = "engine",
            ["workload"] = "baseline",
            ["hosting"] = "plain .NET",
            ["agents"] = spec.Agents,
            ["rounds"] = spec.Rounds,
            ["partitions"] = workers,
            ["policy"] = spec.Policy.Name,
            ["processors"] = Environment.ProcessorCount,
            ["setupSeconds"] = Round(setup.TotalSeconds),
            ["roundSeconds"] = new JsonArray([.. roundSeconds.Select(r => (JsonNode)Round(r))]),
            ["firstRoundSeconds"] = Round(roundSeconds[0]),
            ["agentStepsPerSecond"] = Round((double)spec.Agents * roundSeconds.Count / roundSeconds.Sum()),
            ["steadyAgentStepsPerSecond"] = Round((double)spec.Agents * steady.Length / steady.Sum()),
            ["messages"] = 0,
            ["messagesPerSecond"] = 0.0,
            ["steadyMessagesPerSecond"] = 0.0,
            ["peakRssBytes"] = peakRss,
            ["rssBeforeBytes"] = rssBefore,
            ["peakRssBytesPerAgent"] = Round((double)peakRss / spec.Agents),
            ["managedBytesPerAgent"] = Round((double)(heapAfter - heapBefore) / spec.Agents),
            ["wallSeconds"] = Round(Stopwatch.GetElapsedTime(started).TotalSeconds),
            ["cpuSeconds"] = Round(cpu.TotalSeconds),
            ["cpuMicrosecondsPerAgentStep"] = Round(cpu.TotalMicroseconds / Math.Max(1, (long)spec.Agents * (spec.Rounds + 1))),
        };
    }

    /// <summary>
    /// The scenario's own per-agent state (profile and memory), measured by allocating minds the way agents do;
    /// the rest of the managed bytes per agent is the grain object, its edge array and Orleans' activation.
    /// </summary>
    private static double MindBytes(RunSpec spec)
    {
        const int count = 10_000;
        var context = new RoundContext("measure", 0, spec.Seed, spec.Scenario, spec.Config, spec.Policy, null, spec.Agents, spec.Rounds);
        var scenario = new GuessTwoThirdsScenario();
        var minds = new object[count];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            minds[i] = scenario.CreateMind(context, i);
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(minds);
        return (double)bytes / count;
    }

    internal static RunSpec Spec(Settings settings) => WorkloadSpec(settings) with { Hosting = settings.Hosting };

    private static RunSpec WorkloadSpec(Settings settings)
    {
        var config = GuessTwoThirdsConfig.Default;
        return settings.Workload switch
        {
            "guess" => new RunSpec(
                GuessTwoThirdsScenario.ScenarioName, settings.Agents ?? 1_000_000, settings.Rounds ?? 5, 42,
                PolicySpec.Heuristic, settings.Partitions ?? 0, TopologySpec.None, config),
            "latency" => new RunSpec(
                GuessTwoThirdsScenario.ScenarioName, settings.Agents ?? 1_000_000, settings.Rounds ?? 1, 42,
                new PolicySpec(PolicyNames.DummyLatency, settings.Latency, 0), settings.Partitions ?? 0, TopologySpec.None, config),
            "messages" => new RunSpec(
                GuessTwoThirdsScenario.ScenarioName, settings.Agents ?? 100_000, settings.Rounds ?? 5, 42,
                PolicySpec.Heuristic, settings.Partitions ?? 0, new TopologySpec(TopologyKind.WattsStrogatz, Degree: 4, Rewire: 0.1),
                config with { Messaging = GuessMessaging.Neighbours }),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Workload, "unknown workload"),
        };
    }

    internal static async Task<JsonObject?> RunChildAsync(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        var args = new List<string> { "bench", "engine", "--workload", settings.Workload, "--hosting", HostingName(settings.Hosting), "--latency", settings.Latency.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) + "s" };
        if (settings.Agents is { } agents)
        {
            args.AddRange(["--agents", agents.ToString(CultureInfo.InvariantCulture)]);
        }

        if (settings.Rounds is { } rounds)
        {
            args.AddRange(["--rounds", rounds.ToString(CultureInfo.InvariantCulture)]);
        }

        if (settings.Partitions is { } partitions)
        {
            args.AddRange(["--partitions", partitions.ToString(CultureInfo.InvariantCulture)]);
        }

        await error.WriteLineAsync($"bench engine: workload {settings.Workload}, hosting {HostingName(settings.Hosting)} (own process)");
        return await BenchProcess.RunAsync(args, JsonPrefix, $"workload {settings.Workload}", error, cancellationToken);
    }

    private static void PrintTable(TextWriter output, IReadOnlyList<JsonObject> results)
    {
        string[] header = ["workload", "hosting", "agents", "rounds", "partitions", "s/round", "1st round s", "steps/s", "steady steps/s", "msgs/s", "warm msgs/s", "peak RSS MB", "RSS B/agent", "heap B/agent"];
        var rows = results.Select(r => new[]
        {
            (string)r["workload"]!,
            (string)r["hosting"]!,
            ((int)r["agents"]!).ToString("N0", CultureInfo.InvariantCulture),
            ((int)r["rounds"]!).ToString(CultureInfo.InvariantCulture),
            ((int)r["partitions"]!).ToString(CultureInfo.InvariantCulture),
            (r["roundSeconds"]!.AsArray().Average(x => (double)x!)).ToString("F2", CultureInfo.InvariantCulture),
            ((double)r["firstRoundSeconds"]!).ToString("F2", CultureInfo.InvariantCulture),
            ((double)r["agentStepsPerSecond"]!).ToString("N0", CultureInfo.InvariantCulture),
            ((double)r["steadyAgentStepsPerSecond"]!).ToString("N0", CultureInfo.InvariantCulture),
            ((double)r["steadyMessagesPerSecond"]!).ToString("N0", CultureInfo.InvariantCulture),
            r["warmMessagesPerSecond"] is { } warmRate ? ((double)warmRate).ToString("N0", CultureInfo.InvariantCulture) : "-",
            ((long)r["peakRssBytes"]! / 1048576.0).ToString("N0", CultureInfo.InvariantCulture),
            ((double)r["peakRssBytesPerAgent"]!).ToString("N0", CultureInfo.InvariantCulture),
            ((double)r["managedBytesPerAgent"]!).ToString("N0", CultureInfo.InvariantCulture),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join(" | ", header.Select((h, i) => h.PadLeft(widths[i]))));
        output.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join(" | ", row.Select((c, i) => c.PadLeft(widths[i]))));
        }
    }

    internal static string HostingName(AgentHosting hosting) => hosting.ToString().ToLowerInvariant();

    private static double Round(double value) => double.IsFinite(value) ? Math.Round(value, 3) : 0;
}
