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
    public sealed record Settings(string[] Tasks, int[] Sizes, string? GraphFolder, string Policy, ulong Seed, string? OutputDirectory, int GraphsPerKind = 3);

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

        var policy = settings.Policy == "classical" ? PolicySpec.Heuristic : new PolicySpec(PolicyNames.Random, TimeSpan.Zero, 0);
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
                var spec = AgentsNetRun.Spec(task, graph, policy, settings.Seed);
                var runId = $"agentsnet-{task.Name()}-{Path.GetFileNameWithoutExtension(graph.Source)}-{Guid.NewGuid().ToString("N")[..8]}";
                var outcome = await driver.RunAsync(runId, spec, null, null, cancellationToken);
                if (outcome.Final.State != SimulationState.Completed)
                {
                    await error.WriteLineAsync($"error: {task.Name()} on {graph.Source}: {outcome.Final.State} {outcome.Final.Error}");
                    return ExitCodes.Failed;
                }

                var result = AgentsNetRun.Result(graph, spec, outcome.Rounds, settings.Policy);
                results.Add((graph, result));
                var file = Path.Combine(directory, "runs", $"{task.Name()}_{Path.GetFileNameWithoutExtension(graph.Source)}.json");
                var json = ResultFile(graph, result);
                var messages = outcome.Rounds.Sum(r => r.Messages);
                var roundSeconds = outcome.Rounds.Sum(r => r.Elapsed.TotalSeconds);
                json["setup_seconds"] = outcome.Final.SetupTime.TotalSeconds;
                json["wall_seconds"] = outcome.Wall.TotalSeconds;
                json["messages"] = messages;
                json["messages_per_second"] = roundSeconds > 0 ? messages / roundSeconds : 0;
                await File.WriteAllTextAsync(file, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
                if (graph.NodeCount >= 10_000)
                {
                    await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {task.Name()} on {graph.Source}: score {result.Score}, {result.RoundsRun} rounds (used {result.RoundsUsed?.ToString(CultureInfo.InvariantCulture) ?? "-"}), {outcome.Wall.TotalSeconds:F1} s, {messages:N0} messages"));
                }
            }

            await error.WriteLineAsync($"  {task.Name()}: {graphs.Count} instances done");
        }

        var table = Table(settings.Policy, tasks, results.Select(r => r.Result).ToList());
        await output.WriteLineAsync(table);
        await File.WriteAllTextAsync(Path.Combine(directory, "table.md"), table, cancellationToken);
        var summary = new JsonObject
        {
            ["bench"] = "agentsnet",
            ["policy"] = settings.Policy,
            ["instances"] = graphs.Count,
            ["tasks"] = new JsonArray([.. tasks.Select(t => (JsonNode)Column(t, results.Select(r => r.Result).ToList()))]),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
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
            foreach (var kind in AgentsNetGraphs.Kinds)
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

    /// <summary>One run in the reference's result-file shape (answers by node index, graph as node-link with names).</summary>
    private static JsonObject ResultFile(AgentsNetGraph graph, AgentsNetResult result)
    {
        var links = new JsonArray([.. graph.Graph.Edges().Select(e => (JsonNode)new JsonObject { ["source"] = e.U, ["target"] = e.V })]);

        return new JsonObject
        {
            ["task"] = result.Task,
            ["answers"] = new JsonArray([.. result.Answers.Select(a => (JsonNode?)a)]),
            ["graph"] = new JsonObject
            {
                ["directed"] = false,
                ["multigraph"] = false,
                ["nodes"] = new JsonArray([.. graph.Names.Select((name, id) => (JsonNode)new JsonObject { ["id"] = id, ["name"] = name })]),
                ["links"] = links,
            },
            ["num_nodes"] = result.NumNodes,
            ["diameter"] = result.Diameter,
            ["max_degree"] = result.MaxDegree,
            ["rounds"] = result.Rounds,
            ["rounds_run"] = result.RoundsRun,
            ["rounds_used"] = result.RoundsUsed,
            ["model_name"] = result.ModelName,
            ["score"] = result.Score,
            ["solved"] = result.Solved,
            ["source"] = graph.Source,
        };
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

    private static string Table(string policy, List<AgentsNetTask> tasks, List<AgentsNetResult> results)
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
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {policy} | {string.Join(" | ", cells)} | {overall:F3} ± {overallSe:F3} |"));
        return text.ToString();
    }

    private static (double Mean, double StandardError) MeanAndStandardError(double[] values)
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
