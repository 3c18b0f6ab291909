using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>
/// Reads the task:, graph: and prompts: sections of an agentsnet scenario file. The graph is a node-link instance file
/// (graph: {file: ...}) or a generated one (graph: {kind: ws|ba|dt, nodes: N, seed: S}); the agents and the rounds
/// follow from it and the task, so agents:, rounds: and their options are refused.
/// </summary>
public static class AgentsNetFileReader
{
    public static string[] Sections { get; } = ["task", "graph", "prompts"];

    private static readonly Dictionary<string, AgentsNetTask> Tasks =
        Enum.GetValues<AgentsNetTask>().ToDictionary(t => t.Name(), t => t);

    private static readonly Dictionary<string, string> Kinds = AgentsNetGraphs.Kinds.ToDictionary(k => k, k => k);

    public static RunSpec Read(YamlSection root, string file, RunOverrides overrides, ulong seed, int partitions, PolicySpec policy)
    {
        if (overrides.Agents is not null)
        {
            throw new ScenarioFileException(file, 0, 0, "--agents", "an AgentsNet run has one agent per node of its graph");
        }

        if (overrides.Rounds is not null)
        {
            throw new ScenarioFileException(file, 0, 0, "--rounds", "AgentsNet's rounds rule sets the rounds (2 x diameter + 1, or the size's default)");
        }

        if (!root.Has("task"))
        {
            throw root.Error("task", $"missing: say which task (one of: {string.Join(", ", Tasks.Keys)})");
        }

        var task = root.Choice("task", AgentsNetTask.Consensus, Tasks);
        var graphSection = root.Section("graph") ?? throw root.Error("graph", "missing: give a node-link file (graph: {file: ...}) or a generator (graph: {kind: ws, nodes: 100})");
        graphSection.RejectUnknown(["file", "kind", "nodes", "seed"]);
        AgentsNetGraph graph;
        if (graphSection.String("file") is { } relative)
        {
            if (graphSection.Has("kind") || graphSection.Has("nodes"))
            {
                throw graphSection.Error("file", "give either a file or a generator (kind, nodes), not both");
            }

            var path = graphSection.PathRelativeToFile("file", relative);
            if (!File.Exists(path))
            {
                throw graphSection.Error("file", $"graph file '{path}' not found");
            }

            graph = NodeLinkFile.Read(path);
        }
        else
        {
            if (!graphSection.Has("kind"))
            {
                throw graphSection.Error("kind", $"missing: a generated graph needs a kind (one of: {string.Join(", ", Kinds.Keys)}) and nodes");
            }

            var kind = graphSection.Choice("kind", "ws", Kinds);
            var nodes = graphSection.Int("nodes", 16, 2, 10_000_000);
            try
            {
                graph = AgentsNetGraphs.Generate(kind, nodes, graphSection.UInt64("seed", seed));
            }
            catch (InvalidOperationException ex)
            {
                throw graphSection.Error("kind", ex.Message);
            }
        }

        return AgentsNetRun.Spec(task, graph, policy, seed, partitions, AgentsNetLlmConfig.Read(root.Section("prompts")));
    }
}
