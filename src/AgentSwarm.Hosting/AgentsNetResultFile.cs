using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.AgentsNet;

namespace AgentSwarm.Hosting;

/// <summary>AgentsNet's per-run result file, in the reference's shape, written by `bench agentsnet` and by `run`.</summary>
public static class AgentsNetResultFile
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The result file `run` writes beside an AgentsNet run's summary.</summary>
    public const string FileName = "agentsnet.json";

    /// <summary>Every agent's snapshot (transcript and counters), by node index.</summary>
    public static async Task<AgentSnapshot[]> SnapshotsAsync(IClusterClient client, string runId, int agents)
    {
        var snapshots = new AgentSnapshot[agents];
        const int Batch = 1024;
        for (var first = 0; first < agents; first += Batch)
        {
            var count = Math.Min(Batch, agents - first);
            var batch = await Task.WhenAll(Enumerable.Range(first, count).Select(i => client.GetGrain<IAgentGrain>(i, runId).GetSnapshotAsync()));
            batch.CopyTo(snapshots, first);
        }

        return snapshots;
    }

    public static int Count(AgentSnapshot snapshot, string counter) =>
        snapshot.Counters is { } counters && counters.TryGetValue(counter, out var value) ? value : 0;

    /// <summary>The model name of a row: the endpoints' models, as the addresses name them.</summary>
    public static string ModelName(string[] endpoints) =>
        string.Join("+", endpoints.Select(e => Inference.EndpointAddress.Parse(e) is var a && a.Kind == Inference.BackendKind.Simulated ? $"simulated-{a.Model}" : a.Model).Distinct());

    /// <summary>
    /// One run in the reference's result-file shape: answers by node index, the graph as node-link with names, and
    /// for LLM agents each agent's transcript (by name: its whole conversation as role/content messages) and its
    /// per-node counts of fallbacks, failed parses and failed calls (zeros for classical agents, which have no transcript).
    /// </summary>
    public static JsonObject Build(AgentsNetGraph graph, AgentsNetResult result, AgentSnapshot[]? agents, LlmRunStats? llm)
    {
        var links = new JsonArray([.. graph.Graph.Edges().Select(e => (JsonNode)new JsonObject { ["source"] = e.U, ["target"] = e.V })]);
        JsonArray PerNode(string counter) =>
            new([.. Enumerable.Range(0, graph.NodeCount).Select(i => (JsonNode)(agents is null ? 0 : Count(agents[i], counter)))]);
        var transcripts = new JsonObject();
        foreach (var agent in agents ?? [])
        {
            transcripts[graph.Names[agent.Index]] = new JsonArray([.. (agent.Transcript ?? []).Select(m => (JsonNode)new JsonObject
            {
                ["role"] = m.Role.ToString().ToLowerInvariant(),
                ["content"] = m.Text,
            })]);
        }

        var json = new JsonObject
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
            ["transcripts"] = transcripts,
            ["fallbacks"] = PerNode(AgentsNetLlmAgent.FallbacksCounter),
            ["failed_parses"] = PerNode(AgentsNetLlmAgent.FailedParsesCounter),
            ["failed_calls"] = PerNode(AgentsNetLlmAgent.FailedCallsCounter),
        };
        if (llm is not null)
        {
            json["llm"] = LlmTotalsJson(llm.Total.Requests, llm.Total.Completed, llm.Total.Failed, llm.Total.PromptTokens, llm.Total.CachedPromptTokens, llm.Total.OutputTokens, llm.Total.BusySeconds);
        }

        return json;
    }

    /// <summary>LLM spend in the result files' shape (snake_case, as the reference's own counters).</summary>
    public static JsonObject LlmTotalsJson(long calls, long completed, long failed, long prompt, long cached, long output, double gpuSeconds) => new()
    {
        ["calls"] = calls,
        ["completed"] = completed,
        ["failed"] = failed,
        ["prompt_tokens"] = prompt,
        ["cached_prompt_tokens"] = cached,
        ["output_tokens"] = output,
        ["gpu_seconds"] = gpuSeconds,
    };

    /// <summary>Writes a run's result file (agentsnet.json) next to its summary: `run` on an AgentsNet scenario.</summary>
    public static async Task WriteForRunAsync(IClusterClient client, string runId, RunSpec spec, RunOutcome outcome, string directory, CancellationToken cancellationToken)
    {
        var config = (AgentsNetConfig)spec.Config;
        var graph = config.Graph();
        var llm = spec.Policy.Name == PolicyNames.Llm;
        var result = AgentsNetRun.Result(graph, spec, outcome.Rounds, llm ? ModelName(spec.Policy.Llm!.Endpoints) : spec.Policy.Name);
        var agents = llm ? await SnapshotsAsync(client, runId, graph.NodeCount) : null;
        var json = Build(graph, result, agents, outcome.Llm);
        await File.WriteAllTextAsync(Path.Combine(directory, FileName), json.ToJsonString(Indented), cancellationToken);
    }
}
