using System.Text.Json;
using AgentSwarm.Engine.Topology;
using AgentSwarm.Scenarios.Files;

namespace AgentSwarm.Scenarios.AgentsNet;

/// <summary>
/// Reads graphs in networkx's node-link JSON: {"nodes": [{"id", "name"}], "links": [{"source", "target"}]},
/// either at the top or under "graph" as the AgentsNet instances have it (with num_nodes, diameter, max_degree).
/// Mistakes are reported as <see cref="ScenarioFileException"/> naming the file and the node or link at fault.
/// </summary>
public static class NodeLinkFile
{
    public static AgentsNetGraph Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFileException(path, 0, 0, string.Empty, $"cannot read the graph: {ex.Message}");
        }

        return Parse(text, path);
    }

    public static AgentsNetGraph Parse(string text, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new ScenarioFileException(path, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1, string.Empty, $"not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, string.Empty, "expected a JSON object with nodes and links");
            }

            var graph = root.TryGetProperty("graph", out var inner) && inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("nodes", out _)
                ? inner
                : root;
            int? declaredDiameter = root.TryGetProperty("diameter", out var d) && d.TryGetInt32(out var dv) ? dv : null;
            return Build(graph, path, declaredDiameter);
        }
    }

    private static AgentsNetGraph Build(JsonElement graph, string path, int? declaredDiameter)
    {
        if (!graph.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, "nodes", "missing: a node-link graph needs a \"nodes\" list");
        }

        if (nodes.GetArrayLength() == 0)
        {
            throw Fail(path, "nodes", "the graph has no nodes");
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new string?[nodes.GetArrayLength()];
        var i = 0;
        foreach (var node in nodes.EnumerateArray())
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty("id", out var id))
            {
                throw Fail(path, $"nodes[{i}]", "each node needs an \"id\"");
            }

            var key = id.ToString();
            if (!index.TryAdd(key, i))
            {
                throw Fail(path, $"nodes[{i}]", $"id {key} is used by nodes {index[key]} and {i}");
            }

            names[i] = node.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
            i++;
        }

        var fallback = AgentNames.For(names.Length);
        var resolved = new string[names.Length];
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var v = 0; v < names.Length; v++)
        {
            resolved[v] = string.IsNullOrWhiteSpace(names[v]) ? fallback[v] : names[v]!.Trim();
            if (!byName.TryAdd(resolved[v], v))
            {
                throw Fail(path, $"nodes[{v}]", $"name '{resolved[v]}' is used by nodes {byName[resolved[v]]} and {v}: agents know each other only by name");
            }
        }

        var linksProperty = graph.TryGetProperty("links", out var links) ? links : graph.TryGetProperty("edges", out var edges) ? edges : default;
        if (linksProperty.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, "links", "missing: a node-link graph needs a \"links\" list");
        }

        var a = new List<int>();
        var b = new List<int>();
        var l = 0;
        foreach (var link in linksProperty.EnumerateArray())
        {
            a.Add(Endpoint(link, "source", index, path, l));
            b.Add(Endpoint(link, "target", index, path, l));
            l++;
        }

        var built = Graph.FromEdges(names.Length, a.ToArray(), b.ToArray());
        try
        {
            return AgentsNetGraph.Create(built, resolved, path, declaredDiameter);
        }
        catch (InvalidOperationException ex)
        {
            throw Fail(path, "links", ex.Message);
        }
    }

    private static int Endpoint(JsonElement link, string end, Dictionary<string, int> index, string path, int l)
    {
        if (link.ValueKind != JsonValueKind.Object || !link.TryGetProperty(end, out var value))
        {
            throw Fail(path, $"links[{l}]", $"each link needs a \"{end}\"");
        }

        return index.TryGetValue(value.ToString(), out var node)
            ? node
            : throw Fail(path, $"links[{l}]", $"{end} {value} is not a node id (a dangling edge)");
    }

    private static ScenarioFileException Fail(string path, string field, string problem) => new(path, 0, 0, field, problem);
}
