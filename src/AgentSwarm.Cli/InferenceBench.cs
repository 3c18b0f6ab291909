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
    public sealed record Settings(string Workload, int Agents, int Endpoints, string Profile, int Requests, string Routing = LlmRouting.Affinity);

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
            await output.WriteLineAsync("efficiency (LLM guess-2/3, 1 round, answer + extraction call per agent, real clock)");
            await output.WriteLineAsync("| agents | endpoints | calls | round s | achieved calls/s | capacity calls/s | efficiency | process CPU us/call | engine CPU us/call (less the simulated servers) | out tok/call | uncached prompt tok/call |");
            await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|---|");
            await output.WriteLineAsync(Invariant($"| {r["agents"]} | {r["endpoints"]} x {settings.Profile} | {r["calls"]} | {(double)r["roundSeconds"]!:F1} | {(double)r["achievedPerSecond"]!:N0} | {(double)r["capacityPerSecond"]!:N0} | {(double)r["efficiency"]!:P1} | {(double)r["cpuMicrosecondsPerCall"]!:F1} | {(double)r["engineCpuMicrosecondsPerCall"]!:F1} | {(double)r["outputTokensPerCall"]!:F2} | {(double)r["uncachedPromptTokensPerCall"]!:F1} |"));
            if ((double)r["cpuWindowLateSeconds"]! > 0.2)
            {
                await output.WriteLineAsync(Invariant($"(the CPU window opened {(double)r["cpuWindowLateSeconds"]!:F1} s into the round: the CPU figure leaves out what the round spent before)"));
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
            1,
            42,
            new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(endpoints, 0.7, 64, Routing: settings.Routing)),
            0,
            TopologySpec.None,
            GuessTwoThirdsConfig.Default);
        var runId = "bench-inference-" + Guid.NewGuid().ToString("N")[..8];
        var simulation = silo.Client.GetGrain<ISimulationGrain>(runId);
        await simulation.StartAsync(spec);
        SimulationStatus status;
        while ((status = await simulation.GetStatusAsync()) is { State: SimulationState.Running or SimulationState.Pending, CurrentRound: 0 })
        {
            await Task.Delay(20, cancellationToken);
        }

        // Set-up (creating the agents) is the engine's cost, measured by `bench engine`; this counts the round only. The
        // round is seen through a grain call: a silo too busy to answer it would open the CPU window late, past CPU the
        // round spent: how late it opened (the round's own clock against this one) is reported beside the figure.
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var pauseBefore = GC.GetTotalPauseDuration();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;

        // The pool forgets a run as it ends; its simulated servers (one per address, shared by runs) stay. Take hold of
        // them while the run is on, and read their counters after it.
        var pool = silo.Services.GetRequiredService<InferencePool>();
        IReadOnlyList<SimulatedChatClient?> used = [];
        while ((status = await simulation.GetStatusAsync()).State is SimulationState.Running or SimulationState.Pending)
        {
            if (used.Count == 0)
            {
                used = pool.SimulatedServers(runId);
            }

            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                lastReport = clock.Elapsed;
                await error.WriteLineAsync(Invariant($"  efficiency: {status.CurrentRoundAgentsDone:N0}/{spec.Agents:N0} agents done, {clock.Elapsed.TotalSeconds:F0} s"));
            }

            await Task.Delay(20, cancellationToken);
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var gcPause = GC.GetTotalPauseDuration() - pauseBefore;
        var collections = new JsonArray([.. Enumerable.Range(0, 3).Select(g => (JsonNode)(GC.CollectionCount(g) - collectionsBefore[g]))]);
        var watched = clock.Elapsed;
        if (status.State != SimulationState.Completed)
        {
            throw new InvalidOperationException($"the benchmark run ended {status.State}: {status.Error}");
        }

        var round = (await simulation.GetRoundsAsync(1))[0];
        if (used.Count != settings.Endpoints)
        {
            throw new InvalidOperationException($"the run ended before its {settings.Endpoints} simulated servers could be read (saw {used.Count})");
        }

        var servers = used.Select(s => s!.Snapshot()).ToArray();
        long calls = servers.Sum(s => s.Completed);

        // The simulated servers run in this process but stand for GPU servers elsewhere: their own CPU is not the engine's.
        // They were made for this run at its first call, so all they spent is this round's.
        var simulatedCpuMs = servers.Sum(s => s.CpuMs);
        var outputPerCall = (double)servers.Sum(s => s.OutputTokens) / calls;
        var uncachedPerCall = (double)servers.Sum(s => s.PromptTokens - s.CachedPromptTokens) / calls;
        var capacity = settings.Endpoints * SimulatedGpuProfile.Named[settings.Profile].CapacityPerSecond(uncachedPerCall, outputPerCall);
        var achieved = calls / round.Elapsed.TotalSeconds;
        return new JsonObject
        {
            ["agents"] = spec.Agents,
            ["endpoints"] = settings.Endpoints,
            ["profile"] = settings.Profile,
            ["routing"] = settings.Routing,
            ["calls"] = calls,
            ["roundSeconds"] = round.Elapsed.TotalSeconds,
            ["achievedPerSecond"] = achieved,
            ["capacityPerSecond"] = capacity,
            ["efficiency"] = achieved / capacity,
            ["cpuSeconds"] = cpu.TotalSeconds,
            ["cpuMicrosecondsPerCall"] = cpu.TotalMicroseconds / calls,
            ["simulatedServersCpuSeconds"] = simulatedCpuMs / 1000,
            ["engineCpuMicrosecondsPerCall"] = (cpu.TotalMicroseconds - (simulatedCpuMs * 1000)) / calls,
            ["gcPauseSeconds"] = gcPause.TotalSeconds,
            ["gcCollections"] = collections,
            ["cpuWindowLateSeconds"] = Math.Max(0, round.Elapsed.TotalSeconds - watched.TotalSeconds),
            ["outputTokensPerCall"] = outputPerCall,
            ["uncachedPromptTokensPerCall"] = uncachedPerCall,
            ["gpuBusySeconds"] = servers.Max(s => s.BusyMs) / 1000,
            ["gpuUtilisation"] = servers.Sum(s => s.BusyMs) / 1000 / (settings.Endpoints * round.Elapsed.TotalSeconds),
            ["meanBatch"] = (double)servers.Sum(s => s.OutputTokens) / servers.Sum(s => s.Steps),
            ["gpuIdleSeconds"] = new JsonArray([.. servers.Select(s => (JsonNode)((s.NowMs - s.BusyMs) / 1000))]),
            ["gpuClockSeconds"] = new JsonArray([.. servers.Select(s => (JsonNode)(s.NowMs / 1000))]),
        };
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
