using AgentSwarm.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Engine;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Inference;
using AgentSwarm.Inference.Simulated;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench inference`: the inference pool against simulated GPU servers whose capacity the model states.
/// efficiency: an LLM guess-2/3 round through the whole engine, achieved calls/s against capacity and engine CPU per call.
/// affinity: prefix-affinity routing against round-robin over 4 GPUs with prefix caches and 50 long personas.
/// capacity: what the simulated profiles predict for AgentScope's 1M-agent run on 1 and 32 GPUs.
/// </summary>
internal static class InferenceBench
{
    public sealed record Settings(string Workload, int Agents, int Endpoints, string Profile, int Requests, string Routing = LlmRouting.Affinity, int Rounds = 2, AgentHosting Hosting = AgentHosting.Packed);

    public static async Task<int> ExecuteAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!SimulatedGpuProfile.Named.ContainsKey(settings.Profile))
        {
            await error.WriteLineAsync($"error: --profile: unknown profile '{settings.Profile}' (expected one of: {string.Join(", ", SimulatedGpuProfile.Named.Keys)})");
            return ExitCodes.BadInput;
        }

        var results = new JsonObject { ["bench"] = "inference" };
        if (settings.Workload is "all" or "efficiency")
        {
            var r = await EfficiencyAsync(settings, error, cancellationToken);
            results["efficiency"] = r;
            await output.WriteLineAsync(Invariant($"efficiency (LLM guess-2/3, {settings.Rounds} round(s), answer + extraction call per agent, real clock; {r["agents"]} agents, {r["hosting"]} hosting, {r["endpoints"]} x {settings.Profile})"));
            await output.WriteLineAsync("| round | calls | round s | achieved calls/s | capacity calls/s | efficiency | process CPU us/call | engine CPU us/call (less the simulated servers) | JIT s | allocated B/call | GC pause s | out tok/call | uncached prompt tok/call |");
            await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in r["rounds"]!.AsArray())
            {
                await output.WriteLineAsync(Invariant($"| {row!["round"]} | {row["calls"]} | {(double)row["roundSeconds"]!:F1} | {(double)row["achievedPerSecond"]!:N0} | {(double)row["capacityPerSecond"]!:N0} | {(double)row["efficiency"]!:P1} | {(double)row["cpuMicrosecondsPerCall"]!:F1} | {(double)row["engineCpuMicrosecondsPerCall"]!:F1} | {(double)row["jitSeconds"]!:F2} | {(double)row["allocatedBytesPerCall"]!:N0} | {(double)row["gcPauseSeconds"]!:F2} | {(double)row["outputTokensPerCall"]!:F2} | {(double)row["uncachedPromptTokensPerCall"]!:F1} |"));
                if ((double)row["cpuWindowLateSeconds"]! > 0.2)
                {
                    await output.WriteLineAsync(Invariant($"(round {row["round"]}'s CPU window opened {(double)row["cpuWindowLateSeconds"]!:F1} s late: its CPU figure leaves out what the round spent before)"));
                }
            }

            await output.WriteLineAsync();
        }

        if (settings.Workload is "all" or "affinity")
        {
            var r = await AffinityAsync(settings, cancellationToken);
            results["affinity"] = r;
            await output.WriteLineAsync("affinity vs round-robin (4 simulated GPUs, 50 personas of ~1,000 tokens, prefix cache 2,000 blocks each)");
            await output.WriteLineAsync("| routing | requests | seconds | calls/s | prompt cache hit rate |");
            await output.WriteLineAsync("|---|---|---|---|---|");
            foreach (var name in new[] { "affinity", "roundRobin" })
            {
                var row = r[name]!;
                await output.WriteLineAsync(Invariant($"| {name} | {row["requests"]} | {(double)row["seconds"]!:F1} | {(double)row["perSecond"]!:N0} | {(double)row["cacheHitRate"]!:P1} |"));
            }

            await output.WriteLineAsync(Invariant($"affinity / round-robin throughput: {(double)r["speedup"]!:F2}x"));
            await output.WriteLineAsync();
        }

        if (settings.Workload is "all" or "capacity")
        {
            var r = Capacity();
            results["capacity"] = r;
            await output.WriteLineAsync("capacity estimate: AgentScope's 1M-agent guess-2/3 round (answer + extraction call per agent), GPU time only");
            await output.WriteLineAsync("| profile | GPUs | answer mode | predicted minutes | prompt tok/call | cached prompt | out tok/call | paper |");
            await output.WriteLineAsync("|---|---|---|---|---|---|---|---|");
            foreach (var row in r["rows"]!.AsArray())
            {
                await output.WriteLineAsync(Invariant($"| {row!["profile"]} | {row["gpus"]} | {row["mode"]} | {(double)row["minutes"]!:F1} | {(double)row["promptTokensPerCall"]!:F0} | {(double)row["cachedPromptShare"]!:P0} | {(double)row["outputTokensPerCall"]!:F1} | {row["paper"]} |"));
            }

            await output.WriteLineAsync();
        }

        await output.WriteLineAsync(results.ToJsonString());
        return ExitCodes.Success;
    }

    private static async Task<JsonObject> EfficiencyAsync(Settings settings, TextWriter error, CancellationToken cancellationToken)
    {
        await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, cancellationToken);
        var endpoints = Enumerable.Range(0, settings.Endpoints).Select(i => $"simulated={settings.Profile}?seed={i}").ToArray();
        var spec = new RunSpec(
            GuessTwoThirdsScenario.ScenarioName,
            settings.Agents,
            settings.Rounds,
            42,
            new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(endpoints, 0.7, 64, Routing: settings.Routing)),
            0,
            TopologySpec.None,
            GuessTwoThirdsConfig.Default,
            Hosting: settings.Hosting);
        var runId = "bench-inference-" + Guid.NewGuid().ToString("N")[..8];
        var simulation = silo.Client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(spec);
        SimulationStatus status;
        while ((status = await simulation.GetStatusAsync()) is { State: SimulationState.Running or SimulationState.Pending, CurrentRound: 0 })
        {
            await Task.Delay(20, cancellationToken);
        }

        // Set-up (creating the agents) is the engine's cost, measured by `bench engine`; this counts the rounds only. A
        // round is seen through a grain call: a silo too busy to answer it would open the round's CPU window late, past
        // CPU the round spent: how late each opened (the round's own clock against this one) is reported beside it. For
        // the same reason a round's counters take in what the next round did before the poll saw it begin (a few tens of
        // milliseconds); over the run they add up exactly.
        var pool = silo.Services.GetRequiredService<InferencePool>();
        IReadOnlyList<SimulatedChatClient?> used = [];
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var current = status.CurrentRound;
        var opened = ProcessSample.Take(clock, []);
        var samples = new List<(int Round, ProcessSample Start, ProcessSample End)>();
        while (true)
        {
            status = await simulation.GetStatusAsync();
            if (used.Count == 0)
            {
                // The pool forgets a run as it ends; its simulated servers (one per address, shared by runs) stay. Take
                // hold of them while the run is on, and read their counters after it. They are made at the run's first
                // call, so before that they have spent nothing of it.
                used = pool.SimulatedServers(runId);
            }

            var running = status.State is SimulationState.Running or SimulationState.Pending;
            if (!running || status.CurrentRound != current)
            {
                var closed = ProcessSample.Take(clock, used);
                samples.Add((current, opened, closed));
                opened = closed;
                current = status.CurrentRound;
            }

            if (!running)
            {
                break;
            }

            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                lastReport = clock.Elapsed;
                await error.WriteLineAsync(Invariant($"  efficiency: round {status.CurrentRound}/{spec.Rounds}, {status.CurrentRoundAgentsDone:N0}/{spec.Agents:N0} agents done, {clock.Elapsed.TotalSeconds:F0} s"));
            }

            await Task.Delay(20, cancellationToken);
        }

        if (status.State != SimulationState.Completed)
        {
            throw new InvalidOperationException($"the benchmark run ended {status.State}: {status.Error}");
        }

        if (used.Count != settings.Endpoints)
        {
            throw new InvalidOperationException($"the run ended before its {settings.Endpoints} simulated servers could be read (saw {used.Count})");
        }

        var results = await simulation.GetRoundsAsync(1);
        var rows = new JsonArray();
        foreach (var (round, start, end) in samples)
        {
            if (round < 1 || round > results.Length)
            {
                continue;
            }

            rows.Add(Row(settings, results[round - 1].Elapsed, round, start, end));
        }

        var result = new JsonObject
        {
            ["agents"] = spec.Agents,
            ["endpoints"] = settings.Endpoints,
            ["profile"] = settings.Profile,
            ["routing"] = settings.Routing,
            ["hosting"] = settings.Hosting.ToString().ToLowerInvariant(),
        };

        // The first round's figures stand at the top (as before more than one round was run); every round's in `rounds`.
        foreach (var (key, value) in rows[0]!.AsObject())
        {
            result[key] = value?.DeepClone();
        }

        result["rounds"] = rows;
        return result;
    }

    private static JsonObject Row(Settings settings, TimeSpan elapsed, int round, ProcessSample start, ProcessSample end)
    {
        SimulatedGpuSnapshot Delta(int i)
        {
            var a = i < start.Servers.Length ? start.Servers[i] : default;
            var b = end.Servers[i];
            return b with
            {
                BusyMs = b.BusyMs - a.BusyMs,
                Completed = b.Completed - a.Completed,
                PromptTokens = b.PromptTokens - a.PromptTokens,
                CachedPromptTokens = b.CachedPromptTokens - a.CachedPromptTokens,
                OutputTokens = b.OutputTokens - a.OutputTokens,
                Steps = b.Steps - a.Steps,
                CpuMs = b.CpuMs - a.CpuMs,
            };
        }

        var servers = Enumerable.Range(0, end.Servers.Length).Select(Delta).ToArray();
        long calls = servers.Sum(s => s.Completed);
        var cpu = end.Cpu - start.Cpu;

        // The simulated servers run in this process but stand for GPU servers elsewhere: their own CPU is not the engine's.
        var simulatedCpuMs = servers.Sum(s => s.CpuMs);
        var outputPerCall = (double)servers.Sum(s => s.OutputTokens) / calls;
        var uncachedPerCall = (double)servers.Sum(s => s.PromptTokens - s.CachedPromptTokens) / calls;
        var capacity = settings.Endpoints * SimulatedGpuProfile.Named[settings.Profile].CapacityPerSecond(uncachedPerCall, outputPerCall);
        var achieved = calls / elapsed.TotalSeconds;
        return new JsonObject
        {
            ["round"] = round,
            ["calls"] = calls,
            ["roundSeconds"] = elapsed.TotalSeconds,
            ["windowSeconds"] = (end.Clock - start.Clock).TotalSeconds,
            ["achievedPerSecond"] = achieved,
            ["capacityPerSecond"] = capacity,
            ["efficiency"] = achieved / capacity,
            ["cpuSeconds"] = cpu.TotalSeconds,
            ["cpuMicrosecondsPerCall"] = cpu.TotalMicroseconds / calls,
            ["simulatedServersCpuSeconds"] = simulatedCpuMs / 1000,
            ["engineCpuMicrosecondsPerCall"] = (cpu.TotalMicroseconds - (simulatedCpuMs * 1000)) / calls,
            ["jitSeconds"] = (end.Jit - start.Jit).TotalSeconds,
            ["allocatedBytesPerCall"] = (double)(end.Allocated - start.Allocated) / calls,
            ["gcPauseSeconds"] = (end.GcPause - start.GcPause).TotalSeconds,
            ["gcCollections"] = new JsonArray([.. Enumerable.Range(0, 3).Select(g => (JsonNode)(end.Collections[g] - start.Collections[g]))]),
            ["cpuWindowLateSeconds"] = Math.Max(0, elapsed.TotalSeconds - (end.Clock - start.Clock).TotalSeconds),
            ["outputTokensPerCall"] = outputPerCall,
            ["uncachedPromptTokensPerCall"] = uncachedPerCall,
            ["gpuBusySeconds"] = servers.Max(s => s.BusyMs) / 1000,
            ["gpuUtilisation"] = servers.Sum(s => s.BusyMs) / 1000 / (settings.Endpoints * elapsed.TotalSeconds),
            ["meanBatch"] = (double)servers.Sum(s => s.OutputTokens) / servers.Sum(s => s.Steps),
            ["gpuIdleSeconds"] = new JsonArray([.. servers.Select(s => (JsonNode)((elapsed.TotalMilliseconds - s.BusyMs) / 1000))]),
        };
    }

    /// <summary>The process's counters at one moment of the run, and the simulated servers' (empty before they exist).</summary>
    private sealed record ProcessSample(TimeSpan Clock, TimeSpan Cpu, TimeSpan Jit, long Allocated, TimeSpan GcPause, int[] Collections, SimulatedGpuSnapshot[] Servers)
    {
        public static ProcessSample Take(Stopwatch clock, IReadOnlyList<SimulatedChatClient?> servers) => new(
            clock.Elapsed,
            Process.GetCurrentProcess().TotalProcessorTime,
            System.Runtime.JitInfo.GetCompilationTime(),
            GC.GetTotalAllocatedBytes(),
            GC.GetTotalPauseDuration(),
            [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
            [.. servers.Select(s => s!.Snapshot())]);
    }

    private static async Task<JsonObject> AffinityAsync(Settings settings, CancellationToken cancellationToken)
    {
        var personas = Enumerable.Range(0, 50).Select(Persona).ToArray();
        var affinity = await RouteAsync(LlmRouting.Affinity, settings.Requests, personas, cancellationToken);
        var roundRobin = await RouteAsync(LlmRouting.RoundRobin, settings.Requests, personas, cancellationToken);
        return new JsonObject
        {
            ["personas"] = personas.Length,
            ["affinity"] = affinity,
            ["roundRobin"] = roundRobin,
            ["speedup"] = (double)affinity["perSecond"]! / (double)roundRobin["perSecond"]!,
        };
    }

    private static async Task<JsonObject> RouteAsync(string routing, int requests, string[] personas, CancellationToken cancellationToken)
    {
        var options = Options.Create(new InferenceOptions());
        using var pool = new InferencePool(new BackendFactory([], TimeProvider.System), TimeProvider.System, options, NullLogger<InferencePool>.Instance);
        // Prefix caches of 2,000 blocks (32k tokens): room for the prefixes of about 30 personas per GPU, not all 50.
        var endpoints = Enumerable.Range(0, 4).Select(i => $"simulated=h100-llama3-8b?seed={i}&cache_blocks=2000").ToArray();
        var spec = new LlmSpec(endpoints, 0.7, 64, Routing: routing);
        var runId = "affinity-" + routing;
        var clock = Stopwatch.StartNew();
        var calls = new Task<LlmResponse>[requests];
        for (var i = 0; i < requests; i++)
        {
            // Each request's persona is drawn at random, so no routing policy gets a pattern for free.
            var persona = personas[AgentRandom.For(3, i, 0).NextInt(personas.Length)];
            var request = new LlmRequest(
                [new LlmMessage(LlmRole.System, persona), new LlmMessage(LlmRole.User, Invariant($"Question {i}: in a sentence or two, what would you do about the town's new parking rules, and why?"))],
                0.7,
                64);
            calls[i] = pool.CompleteAsync(runId, spec, request, cancellationToken);
        }

        var responses = await Task.WhenAll(calls);
        var seconds = clock.Elapsed.TotalSeconds;
        var servers = pool.SimulatedServers(runId).Select(s => s!.Snapshot()).ToArray();
        return new JsonObject
        {
            ["requests"] = requests,
            ["failed"] = responses.Count(r => !r.Ok),
            ["seconds"] = seconds,
            ["perSecond"] = requests / seconds,
            ["cacheHitRate"] = (double)servers.Sum(s => s.CachedPromptTokens) / servers.Sum(s => s.PromptTokens),
            ["perEndpoint"] = new JsonArray([.. servers.Select(s => (JsonNode)s.Completed)]),
        };
    }

    /// <summary>A long persona background (about 1,000 tokens), distinct from its first block on.</summary>
    private static string Persona(int index)
    {
        var rng = AgentRandom.For(7, index, 0);
        var builder = new System.Text.StringBuilder(Invariant($"You are resident number {index} of a town of 50,000. Your background: "));
        string[] words = ["family", "work", "garden", "neighbours", "school", "market", "river", "church", "council", "festival", "harvest", "workshop"];
        while (builder.Length < 4000)
        {
            builder.Append(Invariant($"In year {1950 + rng.NextInt(70)} you spent time on the {words[rng.NextInt(words.Length)]} and the {words[rng.NextInt(words.Length)]}. "));
        }

        return builder.ToString();
    }

    /// <summary>
    /// A discrete-event run of the simulated GPU with AgentScope's workload: every agent's answer call at time 0, its
    /// extraction call when the answer is back. Agents are split evenly over the GPUs, as AgentScope's servers split
    /// them, so one GPU's share is simulated and its time is the run's.
    /// </summary>
    private static JsonObject Capacity()
    {
        var rows = new JsonArray();
        foreach (var (profile, gpus, mode, paper) in new[]
        {
            ("h100-llama3-8b", 1, GuessAnswerMode.Directly, "-"),
            ("h100-llama3-8b", 32, GuessAnswerMode.Directly, "-"),
            ("a100-llama3-8b", 32, GuessAnswerMode.Directly, "12 min (32 A100-80G, vLLM)"),
            ("h100-llama3-8b", 32, GuessAnswerMode.StepByStep, "-"),
            ("a100-llama3-8b", 32, GuessAnswerMode.StepByStep, "85 min (32 A100-80G, vLLM)"),
        })
        {
            var (seconds, gpu) = SimulateShare(SimulatedGpuProfile.Named[profile], 1_000_000 / gpus, mode);
            rows.Add(new JsonObject
            {
                ["profile"] = profile,
                ["gpus"] = gpus,
                ["mode"] = mode.ToString(),
                ["minutes"] = seconds / 60,
                ["outputTokensPerCall"] = (double)gpu.OutputTokens / gpu.Completed,
                ["promptTokensPerCall"] = (double)gpu.PromptTokens / gpu.Completed,
                ["cachedPromptShare"] = (double)gpu.CachedPromptTokens / gpu.PromptTokens,
                ["paper"] = paper,
            });
        }

        return new JsonObject { ["agents"] = 1_000_000, ["rows"] = rows };
    }

    private static (double Seconds, SimulatedGpuSnapshot Gpu) SimulateShare(SimulatedGpuProfile profile, int agents, GuessAnswerMode mode)
    {
        var config = GuessTwoThirdsConfig.Default with { Llm = GuessLlmConfig.Default with { Mode = mode } };
        var policy = new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(["simulated=" + profile.Name], 0.7, 256));
        var context = new RoundContext("capacity", 1, 42, GuessTwoThirdsScenario.ScenarioName, config, policy, null, 1_000_000, 5);
        var responder = new GuessSimulatedResponder();
        var gpu = new SimulatedGpuRun(profile);
        string? answerPrompt = null;
        for (var agent = 0; agent < agents; agent++)
        {
            var request = CaptureAnswerRequest(config, context, agent);
            answerPrompt ??= SimulatedChatClient.Render(request.Messages);
            var random = AgentRandom.For(42, agent, 1, 1);
            var answer = responder.Respond(request, ref random);
            gpu.Enqueue(answerPrompt, SimulatedChatClient.Tokens(answer), answer);
        }

        var extract = config.LlmOrDefault.Extract.Replace("{max}", "100", StringComparison.Ordinal);
        var seconds = gpu.RunToIdle(state =>
        {
            if (state is string answer)
            {
                gpu.Enqueue(SimulatedChatClient.Render([new LlmMessage(LlmRole.System, extract), new LlmMessage(LlmRole.User, answer)]), 2);
            }
        });
        return (seconds, gpu.Snapshot);
    }

    private static LlmRequest CaptureAnswerRequest(GuessTwoThirdsConfig config, RoundContext context, int agent)
    {
        var capture = new CaptureClient();
        var mind = new GuessAgentMind(config, context.Seed, agent);
        _ = mind.DecideWithLlmAsync(new AgentTurn(agent, context, [], []), capture, CancellationToken.None);
        return capture.First!;
    }

    private sealed class CaptureClient : ILlmClient
    {
        public LlmRequest? First { get; private set; }

        public ValueTask<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            First ??= request;
            return ValueTask.FromResult(LlmResponse.Failure("captured"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
