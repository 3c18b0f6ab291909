using AgentSwarm.Hosting;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.AgentsNet;
using AgentSwarm.Scenarios.Files;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm bench agentsnet`: runs the AgentsNet suite (every task on every instance) and prints a table like the
/// paper's: one row per policy, one column per task, mean score with standard error and the solved rate.
/// </summary>
internal static class AgentsNetBench
{
    /// <param name="Kinds">Generators used when no graph folder is given (ws, ba, dt).</param>
    /// <param name="Llm">Endpoints of the llm policy (<c>simulated=h100-llama3-8b</c>, <c>ollama=...</c>); empty for the others.</param>
    /// <param name="ChainOfThought">Whether LLM agents reason before they answer (the reference's default).</param>
    public sealed record Settings(
        string[] Tasks,
        int[] Sizes,
        string? GraphFolder,
        string Policy,
        ulong Seed,
        string? OutputDirectory,
        int GraphsPerKind = 3,
        string[]? Kinds = null,
        string[]? Llm = null,
        bool ChainOfThought = true);

    /// <summary>Output tokens an LLM agent may write per call: room for its reasoning and the JSON of its messages.</summary>
    public const int MaxOutputTokens = 1024;

    private static readonly Dictionary<string, AgentsNetTask> TaskNames =
        Enum.GetValues<AgentsNetTask>().ToDictionary(t => t.Name(), t => t);

    public static async Task<int> ExecuteAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var tasks = new List<AgentsNetTask>();
        foreach (var name in settings.Tasks)
        {
            if (!TaskNames.TryGetValue(name, out var task))
            {
                await error.WriteLineAsync($"error: --tasks: unknown task '{name}' (expected: {string.Join(", ", TaskNames.Keys)})");
                return ExitCodes.BadInput;
            }

            tasks.Add(task);
        }

        if (settings.Sizes.Any(s => s < 2))
        {
            await error.WriteLineAsync("error: --sizes: every size must be at least 2");
            return ExitCodes.BadInput;
        }

        var endpoints = settings.Llm ?? [];
        if (settings.Policy == PolicyNames.Llm && endpoints.Length == 0)
        {
            await error.WriteLineAsync("error: --llm: the llm policy needs at least one endpoint (for example --llm simulated=h100-llama3-8b)");
            return ExitCodes.BadInput;
        }

        if (settings.Policy != PolicyNames.Llm && endpoints.Length > 0)
        {
            await error.WriteLineAsync($"error: --llm: endpoints are for --policy llm, not {settings.Policy}");
            return ExitCodes.BadInput;
        }

        if (!await EndpointsAreValidAsync(endpoints, error))
        {
            return ExitCodes.BadInput;
        }

        var unknownKind = (settings.Kinds ?? []).FirstOrDefault(k => !AgentsNetGraphs.Kinds.Contains(k));
        if (unknownKind is not null)
        {
            await error.WriteLineAsync($"error: --kinds: unknown graph kind '{unknownKind}' (expected: {string.Join(", ", AgentsNetGraphs.Kinds)})");
            return ExitCodes.BadInput;
        }

        List<AgentsNetGraph> graphs;
        try
        {
            graphs = LoadGraphs(settings);
        }
        catch (ScenarioFileException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }

        if (graphs.Count == 0)
        {
            await error.WriteLineAsync($"error: --graphs: no graph_*.json files of sizes {string.Join(",", settings.Sizes)} in '{settings.GraphFolder}'");
            return ExitCodes.BadInput;
        }

        var llm = settings.Policy == PolicyNames.Llm;
        var policy = settings.Policy switch
        {
            "classical" => PolicySpec.Heuristic,
            PolicyNames.Llm => new PolicySpec(PolicyNames.Llm, TimeSpan.Zero, 0, new LlmSpec(endpoints, MaxOutputTokens: MaxOutputTokens)),
            _ => new PolicySpec(PolicyNames.Random, TimeSpan.Zero, 0),
        };
        var prompts = AgentsNetLlmConfig.Default with { ChainOfThought = settings.ChainOfThought };
        var label = llm ? AgentsNetResultFile.ModelName(endpoints) : settings.Policy;
        var llmTotals = new LlmTotals();
        var directory = settings.OutputDirectory ?? Path.Combine(Environment.CurrentDirectory, "runs", $"agentsnet-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(Path.Combine(directory, "runs"));

        await using var silo = await EmbeddedSilo.StartAsync(LogLevel.Warning, cancellationToken);
        var driver = new SimulationDriver(silo.Client) { PollInterval = TimeSpan.FromMilliseconds(10) };
        var results = new List<(AgentsNetGraph Graph, AgentsNetResult Result)>();
        foreach (var task in tasks)
        {
            foreach (var graph in graphs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var spec = AgentsNetRun.Spec(task, graph, policy, settings.Seed, llm: llm ? prompts : null);
                var runId = $"agentsnet-{task.Name()}-{Path.GetFileNameWithoutExtension(graph.Source)}-{Guid.NewGuid().ToString("N")[..8]}";
                var outcome = await driver.RunAsync(runId, spec, null, null, cancellationToken);
                if (outcome.Final.State != SimulationState.Completed)
                {
                    await error.WriteLineAsync($"error: {task.Name()} on {graph.Source}: {outcome.Final.State} {outcome.Final.Error}");
                    return ExitCodes.Failed;
                }

                var result = AgentsNetRun.Result(graph, spec, outcome.Rounds, label);
                results.Add((graph, result));
                var file = Path.Combine(directory, "runs", $"{task.Name()}_{Path.GetFileNameWithoutExtension(graph.Source)}.json");
                var agents = llm ? await AgentsNetResultFile.SnapshotsAsync(silo.Client, runId, graph.NodeCount) : null;
                var json = AgentsNetResultFile.Build(graph, result, agents, outcome.Llm);
                llmTotals.Add(agents, outcome.Llm);
                var messages = outcome.Rounds.Sum(r => r.Messages);
                var roundSeconds = outcome.Rounds.Sum(r => r.Elapsed.TotalSeconds);
                json["setup_seconds"] = outcome.Final.SetupTime.TotalSeconds;
                json["wall_seconds"] = outcome.Wall.TotalSeconds;
                json["messages"] = messages;
                json["messages_per_second"] = roundSeconds > 0 ? messages / roundSeconds : 0;
                await File.WriteAllTextAsync(file, json.ToJsonString(AgentsNetResultFile.Indented), cancellationToken);
                if (llm)
                {
                    await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {task.Name()} on {graph.Source}: score {result.Score:F3}, {outcome.Llm?.Total.Requests ?? 0:N0} LLM calls, {agents!.Sum(a => AgentsNetResultFile.Count(a, AgentsNetLlmAgent.FallbacksCounter))} fallbacks, {outcome.Wall.TotalSeconds:F1} s"));
                }
                else if (graph.NodeCount >= 10_000)
                {
                    await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {task.Name()} on {graph.Source}: score {result.Score}, {result.RoundsRun} rounds (used {result.RoundsUsed?.ToString(CultureInfo.InvariantCulture) ?? "-"}), {outcome.Wall.TotalSeconds:F1} s, {messages:N0} messages"));
                }
            }

            await error.WriteLineAsync($"  {task.Name()}: {graphs.Count} instances done");
        }

        var table = Table(label, tasks, results.Select(r => r.Result).ToList());
        await output.WriteLineAsync(table);
        await File.WriteAllTextAsync(Path.Combine(directory, "table.md"), table, cancellationToken);
        var summary = new JsonObject
        {
            ["bench"] = "agentsnet",
            ["policy"] = settings.Policy,
            ["model_name"] = label,
            ["instances"] = graphs.Count,
            ["tasks"] = new JsonArray([.. tasks.Select(t => (JsonNode)Column(t, results.Select(r => r.Result).ToList()))]),
        };
        if (llm)
        {
            summary["chain_of_thought"] = settings.ChainOfThought;
            summary["llm"] = llmTotals.ToJson();
            await output.WriteLineAsync(llmTotals.Describe());
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "summary.json"), summary.ToJsonString(AgentsNetResultFile.Indented), cancellationToken);
        await output.WriteLineAsync(summary.ToJsonString());
        await output.WriteLineAsync($"results: {directory}");
        return ExitCodes.Success;
    }

    private static List<AgentsNetGraph> LoadGraphs(Settings settings)
    {
        if (settings.GraphFolder is { } folder)
        {
            if (!Directory.Exists(folder))
            {
                throw new ScenarioFileException(folder, 0, 0, "--graphs", "folder not found");
            }

            return Directory.GetFiles(folder, "graph_*.json").Order(StringComparer.Ordinal)
                .Select(NodeLinkFile.Read)
                .Where(g => settings.Sizes.Contains(g.NodeCount))
                .ToList();
        }

        // No instance files: generate the paper's design, three graphs (by default) per generator and size.
        var graphs = new List<AgentsNetGraph>();
        foreach (var size in settings.Sizes)
        {
            foreach (var kind in settings.Kinds is { Length: > 0 } kinds ? kinds : AgentsNetGraphs.Kinds)
            {
                for (var i = 0; i < settings.GraphsPerKind; i++)
                {
                    var graph = AgentsNetGraphs.Generate(kind, size, settings.Seed * 1000 + (ulong)(size * 10 + i));
                    graphs.Add(graph with { Source = $"graph_{kind}_{size}_{i}.json" });
                }
            }
        }

        return graphs;
    }

    /// <summary>LLM counters summed over the suite's runs.</summary>
    internal sealed class LlmTotals
    {
        private long _calls;
        private long _completed;
        private long _failed;
        private long _prompt;
        private long _cached;
        private long _output;
        private double _gpuSeconds;
        private long _fallbacks;
        private long _failedParses;

        public void Add(AgentSnapshot[]? agents, LlmRunStats? llm)
        {
            if (llm is { Total: var t })
            {
                _calls += t.Requests;
                _completed += t.Completed;
                _failed += t.Failed;
                _prompt += t.PromptTokens;
                _cached += t.CachedPromptTokens;
                _output += t.OutputTokens;
                _gpuSeconds += t.BusySeconds;
            }

            foreach (var agent in agents ?? [])
            {
                _fallbacks += AgentsNetResultFile.Count(agent, AgentsNetLlmAgent.FallbacksCounter);
                _failedParses += AgentsNetResultFile.Count(agent, AgentsNetLlmAgent.FailedParsesCounter);
            }
        }

        public JsonObject ToJson()
        {
            var json = AgentsNetResultFile.LlmTotalsJson(_calls, _completed, _failed, _prompt, _cached, _output, _gpuSeconds);
            json["fallbacks"] = _fallbacks;
            json["failed_parses"] = _failedParses;
            return json;
        }

        public string Describe() => string.Create(
            CultureInfo.InvariantCulture,
            $"LLM: {_calls:N0} calls ({_failed:N0} failed), {_prompt:N0} prompt tokens ({_cached:N0} from the prefix cache), {_output:N0} output tokens, "
            + $"simulated GPU time {_gpuSeconds:F1} s; {_failedParses:N0} failed parses, {_fallbacks:N0} fallbacks");
    }

    private static JsonObject Column(AgentsNetTask task, List<AgentsNetResult> results)
    {
        var scores = results.Where(r => r.Task == task.Name()).Select(r => r.Score).ToArray();
        var (mean, se) = MeanAndStandardError(scores);
        return new JsonObject
        {
            ["task"] = task.Name(),
            ["runs"] = scores.Length,
            ["mean"] = mean,
            ["standardError"] = se,
            ["solvedRate"] = scores.Length == 0 ? 0 : scores.Count(s => s == 1.0) / (double)scores.Length,
        };
    }

    private static string Table(string label, List<AgentsNetTask> tasks, List<AgentsNetResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| policy | " + string.Join(" | ", tasks.Select(t => t.Name())) + " | overall |");
        text.AppendLine("|---|" + string.Concat(tasks.Select(_ => "---|")) + "---|");
        var cells = tasks.Select(t =>
        {
            var column = Column(t, results);
            return string.Create(CultureInfo.InvariantCulture, $"{(double)column["mean"]!:F3} ± {(double)column["standardError"]!:F3} ({(double)column["solvedRate"]!:P0} solved)");
        });
        var (overall, overallSe) = MeanAndStandardError([.. results.Select(r => r.Score)]);
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {string.Join(" | ", cells)} | {overall:F3} ± {overallSe:F3} |"));
        return text.ToString();
    }

    /// <summary>Whether every --llm endpoint parses; names the first that does not.</summary>
    internal static async Task<bool> EndpointsAreValidAsync(IEnumerable<string> endpoints, TextWriter error)
    {
        foreach (var endpoint in endpoints)
        {
            try
            {
                Inference.EndpointAddress.Validate(endpoint);
            }
            catch (FormatException ex)
            {
                await error.WriteLineAsync($"error: --llm: {ex.Message}");
                return false;
            }
        }

        return true;
    }

    /// <summary>The mean and its standard error (sample standard deviation / sqrt(n)); 0 for fewer than two values.</summary>
    internal static (double Mean, double StandardError) MeanAndStandardError(double[] values)
    {
        if (values.Length == 0)
        {
            return (0, 0);
        }

        var mean = values.Average();
        if (values.Length == 1)
        {
            return (mean, 0);
        }

        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        return (mean, Math.Sqrt(variance / values.Length));
    }
}
