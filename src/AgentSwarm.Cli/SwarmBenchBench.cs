using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using AgentSwarm.Scenarios.SwarmBench;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench swarmbench`: the SwarmBench tasks for each swarm size and policy, several runs each, on one
/// embedded silo. Prints the paper's table (rows: policy or model; columns: tasks; mean score with standard error over
/// runs) per swarm size, and a speed table (rounds and agent-steps per second), and writes both as Markdown and JSON,
/// with one trace per run where the swarm is small enough for the trace to be read.
/// </summary>
internal static class SwarmBenchBench
{
    public sealed record Settings(
        string[] Tasks,
        int[] Agents,
        string[] Policies,
        string[] Llm,
        int Runs,
        int Rounds,
        ulong Seed,
        string? OutputDirectory,
        int TraceUpTo);

    public const int MaxOutputTokens = 512;

    public static async Task<int> ExecuteAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var tasks = new List<SwarmTask>();
        foreach (var name in settings.Tasks)
        {
            if (!SwarmNames.Tasks.TryGetValue(name, out var task))
            {
                await error.WriteLineAsync($"error: --tasks: unknown task '{name}' (expected: {string.Join(", ", SwarmNames.Tasks.Keys)})");
                return ExitCodes.BadInput;
            }

            tasks.Add(task);
        }

        var unknown = settings.Policies.FirstOrDefault(p => p is not ("classical" or "random" or "llm"));
        if (unknown is not null)
        {
            await error.WriteLineAsync($"error: --policy: unknown policy '{unknown}' (expected classical, random or llm, comma-separated)");
            return ExitCodes.BadInput;
        }

        if (settings.Policies.Contains("llm") && settings.Llm.Length == 0)
        {
            await error.WriteLineAsync("error: --llm: the llm policy needs at least one endpoint (for example --llm simulated=h100-llama3-8b?clock=virtual)");
            return ExitCodes.BadInput;
        }

        if (!await AgentsNetBench.EndpointsAreValidAsync(settings.Llm, error))
        {
            return ExitCodes.BadInput;
        }

        if (settings.Runs < 1 || settings.Rounds < 1 || settings.Agents.Any(a => a < 1))
        {
            await error.WriteLineAsync("error: --runs, --rounds and every --agents size must be at least 1");
            return ExitCodes.BadInput;
        }

        foreach (var agents in settings.Agents)
        {
            var side = SwarmRules.SideFor(agents);
            foreach (var task in tasks)
            {
                if (SwarmRules.Check(task, side, side, agents, 5, settings.Seed) is { } problem)
                {
                    await error.WriteLineAsync($"error: --agents: {problem}");
                    return ExitCodes.BadInput;
                }
            }
        }

        var directory = settings.OutputDirectory ?? Path.Combine(Environment.CurrentDirectory, "runs", $"swarmbench-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(directory);
        await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, cancellationToken);
        var driver = new SimulationDriver(silo.Client) { PollInterval = TimeSpan.FromMilliseconds(10) };
        var results = new List<Result>();
        foreach (var agents in settings.Agents)
        {
            var side = SwarmRules.SideFor(agents);
            foreach (var policyName in settings.Policies)
            {
                var llm = policyName == "llm";
                var policy = policyName switch
                {
                    "classical" => PolicySpec.Heuristic,
                    "llm" => new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(settings.Llm, MaxOutputTokens: MaxOutputTokens)),
                    _ => new PolicySpec(PolicyNames.Random, TimeSpan.Zero, 0),
                };
                var label = llm ? AgentsNetResultFile.ModelName(settings.Llm) : policyName;
                foreach (var task in tasks)
                {
                    for (var run = 0; run < settings.Runs; run++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var seed = settings.Seed + (ulong)run;
                        var spec = new RunSpec(
                            SwarmBenchScenario.ScenarioName, agents, settings.Rounds, seed, policy, 0, TopologySpec.None,
                            new SwarmBenchConfig(task, side, side));
                        var runId = $"swarmbench-{task.Name()}-{agents}-{policyName}-{run}-{Guid.NewGuid().ToString("N")[..8]}";
                        var started = Stopwatch.GetTimestamp();
                        var outcome = await driver.RunAsync(runId, spec, null, null, cancellationToken);
                        if (outcome.Final.State != SimulationState.Completed)
                        {
                            await error.WriteLineAsync($"error: {task.Name()} with {agents} agents ({label}, run {run + 1}): {outcome.Final.State} {outcome.Final.Error}");
                            return ExitCodes.Failed;
                        }

                        var last = (SwarmRoundStats)outcome.Rounds[^1].Stats;
                        var roundSeconds = outcome.Rounds.Sum(r => r.Elapsed.TotalSeconds);
                        var steps = outcome.Rounds.Sum(r => r.AgentSteps);
                        var failedParses = 0L;
                        if (llm)
                        {
                            var snapshots = await AgentsNetResultFile.SnapshotsAsync(silo.Client, runId, agents);
                            failedParses = snapshots.Sum(s => (long)AgentsNetResultFile.Count(s, SwarmMind.FailedParsesCounter));
                        }

                        if (agents <= settings.TraceUpTo)
                        {
                            var traces = Path.Combine(directory, "traces");
                            Directory.CreateDirectory(traces);
                            await SwarmTrace.WriteAsync(Path.Combine(traces, $"{task.Name()}_{agents}_{policyName}_{run}.json"), spec, outcome.Rounds, label, cancellationToken);
                        }

                        await silo.Client.GetGrain<ISimulationGrain>(runId).ReleaseAsync();
                        var result = new Result(task, agents, side, label, run, last.Score, outcome.Rounds.Count, roundSeconds, steps,
                            Stopwatch.GetElapsedTime(started).TotalSeconds, outcome.Final.SetupTime.TotalSeconds, outcome.Llm?.Total.Requests ?? 0, failedParses);
                        results.Add(result);
                        if (agents >= 10_000 || llm)
                        {
                            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                                $"  {task.Name()} {agents:N0} agents {label} run {run + 1}: score {result.Score:F2}, {result.Rounds} rounds, {result.StepsPerSecond:N0} agent-steps/s{(llm ? $", {result.LlmCalls:N0} LLM calls, {failedParses} failed parses" : string.Empty)}"));
                        }
                    }
                }

                await error.WriteLineAsync($"  {agents:N0} agents, {label}: done");
            }
        }

        var markdown = new StringBuilder();
        foreach (var agents in settings.Agents)
        {
            var side = SwarmRules.SideFor(agents);
            markdown.AppendLine(CultureInfo.InvariantCulture, $"{agents:N0} agents, {side} x {side} grid, view 5, {settings.Rounds} rounds, {settings.Runs} runs");
            markdown.AppendLine();
            markdown.AppendLine("| policy | " + string.Join(" | ", tasks.Select(t => t.Name())) + " | average |");
            markdown.AppendLine("|---|" + string.Concat(tasks.Select(_ => "---|")) + "---|");
            foreach (var label in results.Where(r => r.Agents == agents).Select(r => r.Label).Distinct())
            {
                var row = results.Where(r => r.Agents == agents && r.Label == label).ToList();
                var cells = tasks.Select(t => Cell(row.Where(r => r.Task == t).Select(r => r.Score)));
                var average = AgentsNetBench.MeanAndStandardError([.. row.GroupBy(r => r.Run).Select(g => g.Average(r => r.Score))]).Mean;
                markdown.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {string.Join(" | ", cells)} | {average:F2} |"));
            }

            markdown.AppendLine();
        }

        markdown.AppendLine("| task | agents | policy | rounds/s | agent-steps/s | set-up s |");
        markdown.AppendLine("|---|---|---|---|---|---|");
        foreach (var group in results.GroupBy(r => (r.Task, r.Agents, r.Label)))
        {
            var rounds = group.Sum(r => r.Rounds);
            var seconds = group.Sum(r => r.RoundSeconds);
            var steps = group.Sum(r => r.Steps);
            markdown.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key.Task.Name()} | {group.Key.Agents:N0} | {group.Key.Label} | {rounds / seconds:F1} | {steps / seconds:N0} | {group.Average(r => r.SetupSeconds):F2} |"));
        }

        var table = markdown.ToString();
        await output.WriteLineAsync(table);
        await File.WriteAllTextAsync(Path.Combine(directory, "table.md"), table, cancellationToken);
        var summary = new JsonObject
        {
            ["bench"] = "swarmbench",
            ["rounds"] = settings.Rounds,
            ["runs"] = settings.Runs,
            ["seed"] = settings.Seed,
            ["results"] = new JsonArray([.. results.GroupBy(r => (r.Task, r.Agents, r.Label)).Select(g =>
            {
                var (mean, se) = AgentsNetBench.MeanAndStandardError([.. g.Select(r => r.Score)]);
                var seconds = g.Sum(r => r.RoundSeconds);
                return (JsonNode)new JsonObject
                {
                    ["task"] = g.Key.Task.Name(),
                    ["agents"] = g.Key.Agents,
                    ["grid"] = g.First().Side,
                    ["policy"] = g.Key.Label,
                    ["mean"] = mean,
                    ["standard_error"] = se,
                    ["scores"] = new JsonArray([.. g.Select(r => (JsonNode)r.Score)]),
                    ["rounds_per_second"] = g.Sum(r => r.Rounds) / seconds,
                    ["agent_steps_per_second"] = g.Sum(r => r.Steps) / seconds,
                    ["llm_calls"] = g.Sum(r => r.LlmCalls),
                    ["failed_parses"] = g.Sum(r => r.FailedParses),
                };
            })]),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "summary.json"), summary.ToJsonString(AgentsNetResultFile.Indented), cancellationToken);
        await output.WriteLineAsync(summary.ToJsonString());
        await output.WriteLineAsync($"results: {directory}");
        return ExitCodes.Success;
    }

    private static string Cell(IEnumerable<double> scores)
    {
        var (mean, se) = AgentsNetBench.MeanAndStandardError([.. scores]);
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F2} ± {se:F2}");
    }

    private sealed record Result(
        SwarmTask Task, int Agents, int Side, string Label, int Run, double Score, int Rounds, double RoundSeconds, long Steps,
        double WallSeconds, double SetupSeconds, long LlmCalls, long FailedParses)
    {
        public double StepsPerSecond => RoundSeconds > 0 ? Steps / RoundSeconds : 0;
    }
}
