using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Scenarios.AgentsNet;
using AgentSwarm.Engine.Topology;
using AgentSwarm.Scenarios.GuessTwoThirds;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AgentSwarm.Scenarios.Files;

/// <summary>Values given on the command line, which win over the scenario file's.</summary>
public sealed record RunOverrides(
    int? Agents = null,
    int? Rounds = null,
    ulong? Seed = null,
    string? Policy = null,
    int? Partitions = null,
    TimeSpan? Latency = null,
    int? Concurrency = null,
    IReadOnlyList<string>? Llm = null,
    string? Hosting = null,
    double? MaxFailureShare = null);

/// <summary>
/// Reads a scenario file (YAML, plain data) into a validated <see cref="RunSpec"/>. Every mistake becomes a
/// <see cref="ScenarioFileException"/> naming the file, line, column and field.
/// </summary>
public static class ScenarioFile
{
    private static readonly string[] CommonFields = ["scenario", "description", "agents", "rounds", "seed", "partitions", "hosting", "policy", "topology", "llm"];

    private static readonly Dictionary<string, TopologyKind> TopologyNames = new()
    {
        ["none"] = TopologyKind.None,
        ["ring"] = TopologyKind.Ring,
        ["grid"] = TopologyKind.Grid,
        ["random-regular"] = TopologyKind.RandomRegular,
        ["watts-strogatz"] = TopologyKind.WattsStrogatz,
        ["ws"] = TopologyKind.WattsStrogatz,
        ["barabasi-albert"] = TopologyKind.BarabasiAlbert,
        ["ba"] = TopologyKind.BarabasiAlbert,
        ["edge-list"] = TopologyKind.EdgeList,
    };

    private static readonly Dictionary<string, string> PolicyChoices =
        PolicyNames.All.ToDictionary(p => p, p => p, StringComparer.Ordinal);

    /// <summary>Scenario names this reader understands, with the top-level sections each adds.</summary>
    public static IReadOnlyDictionary<string, string[]> Scenarios { get; } = new Dictionary<string, string[]>
    {
        [GuessTwoThirdsScenario.ScenarioName] = GuessTwoThirdsConfigReader.Sections,
        [AgentsNetScenario.ScenarioName] = AgentsNetFileReader.Sections,
        [SwarmBench.SwarmBenchScenario.ScenarioName] = SwarmBench.SwarmBenchFileReader.Sections,
    };

    /// <summary>The largest scenario file read (16 MiB): reading one is bounded in bytes as in nodes (<see cref="BoundedYamlParser"/>).</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    public static RunSpec Load(string path, RunOverrides? overrides = null)
    {
        if (Directory.Exists(path))
        {
            throw new ScenarioFileException(path, 0, 0, string.Empty, "is a folder: give the scenario's .yaml file");
        }

        if (!File.Exists(path))
        {
            throw new ScenarioFileException(path, 0, 0, string.Empty, "file not found");
        }

        string text;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
            {
                throw new ScenarioFileException(path, 0, 0, string.Empty, $"is {length / (1024.0 * 1024):N0} MiB: a scenario file holds settings and is at most {MaxFileBytes / (1024 * 1024)} MiB (a large graph goes in its own file: graph: {{ file: ... }} or topology: {{ kind: edge-list, file: ... }})");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFileException(path, 0, 0, string.Empty, $"cannot read the file: {ex.Message}");
        }

        return Parse(text, path, overrides);
    }

    /// <param name="pathRoots">Folders the file's paths (graph and edge-list files) must stay inside; null: anywhere.</param>
    /// <param name="cancellationToken">Stops reading the file (a console request whose client left).</param>
    public static RunSpec Parse(string text, string file, RunOverrides? overrides = null, IReadOnlyList<string>? pathRoots = null, CancellationToken cancellationToken = default)
    {
        overrides ??= new RunOverrides();
        var root = ReadRoot(text, file, pathRoots, cancellationToken);

        var scenarioNames = Scenarios.Keys.ToDictionary(k => k, k => k, StringComparer.Ordinal);
        if (!root.Has("scenario"))
        {
            throw root.Error("scenario", $"missing: say which scenario this file runs (one of: {string.Join(", ", Scenarios.Keys)})");
        }

        var scenario = root.Choice("scenario", string.Empty, scenarioNames);
        var agentsnet = scenario == AgentsNetScenario.ScenarioName;

        // AgentsNet takes its agents and rounds from the graph and the task; everything else is shared.
        root.RejectUnknown((agentsnet ? CommonFields.Except(["agents", "rounds", "topology"]) : CommonFields).Concat(Scenarios[scenario]));
        var seed = overrides.Seed ?? root.UInt64("seed", 42);
        var partitions = Override(file, "--partitions", overrides.Partitions, root.Int("partitions", 0, 0, 4096), 0, 4096);
        var policy = ApplyOverrides(ReadPolicy(root) with { Llm = ReadLlm(root.Section("llm")) }, overrides, file);
        var hosting = ReadHosting(root, overrides, file);
        if (agentsnet)
        {
            return AgentsNetFileReader.Read(root, file, overrides, seed, partitions, policy) with { Hosting = hosting };
        }

        var swarm = scenario == SwarmBench.SwarmBenchScenario.ScenarioName;
        var agents = Override(file, "--agents", overrides.Agents, root.Int("agents", swarm ? 10 : 1000, 1, RunSpec.MaxAgents), 1, RunSpec.MaxAgents);
        var rounds = Override(file, "--rounds", overrides.Rounds, root.Int("rounds", swarm ? 100 : 5, 1, 1_000_000), 1, 1_000_000);
        var topology = ReadTopology(root.Section("topology"), file, agents);
        ScenarioConfig config = scenario switch
        {
            GuessTwoThirdsScenario.ScenarioName => GuessTwoThirdsConfigReader.Read(root),
            SwarmBench.SwarmBenchScenario.ScenarioName => SwarmBench.SwarmBenchFileReader.Read(root, agents, seed),
            _ => throw root.Error("scenario", $"no reader for scenario '{scenario}'"),
        };

        return new RunSpec(scenario, agents, rounds, seed, policy, partitions, topology, config, Hosting: hosting);
    }

    private static readonly Dictionary<string, AgentHosting> HostingNames = new(StringComparer.Ordinal)
    {
        ["auto"] = AgentHosting.Auto,
        ["grain"] = AgentHosting.Grain,
        ["packed"] = AgentHosting.Packed,
    };

    /// <summary>`hosting: grain | packed` (default auto: the policy's choice); --hosting overrides it.</summary>
    private static AgentHosting ReadHosting(YamlSection root, RunOverrides overrides, string file)
    {
        if (overrides.Hosting is { } name)
        {
            return HostingNames.TryGetValue(name, out var hosting)
                ? hosting
                : throw new ScenarioFileException(file, 0, 0, "--hosting", $"unknown hosting '{name}' (expected one of: {string.Join(", ", HostingNames.Keys)})");
        }

        return root.Choice("hosting", AgentHosting.Auto, HostingNames);
    }

    private static PolicySpec ApplyOverrides(PolicySpec policy, RunOverrides overrides, string file)
    {
        if (overrides.Policy is { } policyName)
        {
            if (!PolicyNames.All.Contains(policyName))
            {
                throw new ScenarioFileException(file, 0, 0, "--policy", $"unknown policy '{policyName}' (expected one of: {string.Join(", ", PolicyNames.All)})");
            }

            policy = policy with { Name = policyName };
        }

        if (overrides.Llm is { Count: > 0 } endpoints)
        {
            foreach (var endpoint in endpoints)
            {
                CheckEndpoint(endpoint, () => new ScenarioFileException(file, 0, 0, "--llm", string.Empty));
            }

            policy = policy with { Llm = (policy.Llm ?? new LlmSpec([])) with { Endpoints = [.. endpoints] } };
        }

        if (overrides.MaxFailureShare is { } maxFailureShare)
        {
            policy = policy with { Llm = (policy.Llm ?? new LlmSpec([])) with { MaxFailureShare = MaxFailureShare(maxFailureShare, () => new ScenarioFileException(file, 0, 0, "--max-failure-share", string.Empty)) } };
        }

        if (policy.Name == PolicyNames.Llm && (policy.Llm is null || policy.Llm.Endpoints.Length == 0))
        {
            throw new ScenarioFileException(file, 0, 0, "--llm", "the llm policy needs at least one endpoint: give --llm KIND=ADDRESS (for example --llm simulated=h100-llama3-8b) or llm.endpoints in the file");
        }

        if (overrides.Latency is { } latency)
        {
            policy = policy with { Latency = latency };
        }

        if (overrides.Concurrency is { } concurrency)
        {
            policy = policy with { Concurrency = Override(file, "--concurrency", concurrency, 0, 0, int.MaxValue) };
        }

        return policy;
    }

    private static YamlSection ReadRoot(string text, string file, IReadOnlyList<string>? pathRoots, CancellationToken cancellationToken)
    {
        var stream = new YamlStream();
        var parser = new BoundedYamlParser(new Parser(new StringReader(text)), file, cancellationToken);
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            var reason = ex.InnerException?.Message ?? ex.Message;
            var colon = reason.IndexOf("): ", StringComparison.Ordinal);
            if (colon >= 0)
            {
                reason = reason[(colon + 3)..];
            }

            throw new ScenarioFileException(file, (int)ex.Start.Line, (int)ex.Start.Column, string.Empty, $"not valid YAML: {reason}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this for some unterminated constructs; the last event it read marks the spot.
            var mark = parser.Current?.End ?? Mark.Empty;
            throw new ScenarioFileException(file, (int)mark.Line, (int)mark.Column, string.Empty, "not valid YAML: a flow sequence or mapping ([...] or {...}) is not closed, or a quoted string does not end, after this point");
        }

        if (stream.Documents.Count == 0)
        {
            throw new ScenarioFileException(file, 0, 0, string.Empty, "the file is empty");
        }

        if (stream.Documents.Count > 1)
        {
            throw new ScenarioFileException(file, (int)stream.Documents[1].RootNode.Start.Line, 1, string.Empty, "holds more than one YAML document");
        }

        var node = stream.Documents[0].RootNode;
        return node is YamlMappingNode mapping
            ? new YamlSection(file, string.Empty, mapping, pathRoots)
            : throw new ScenarioFileException(file, (int)node.Start.Line, (int)node.Start.Column, string.Empty, "expected a mapping of fields at the top (scenario:, agents:, ...)");
    }

    private static PolicySpec ReadPolicy(YamlSection root)
    {
        if (root.Raw("policy") is YamlScalarNode)
        {
            return PolicySpec.Heuristic with { Name = root.Choice("policy", PolicyNames.Heuristic, PolicyChoices) };
        }

        var section = root.Section("policy");
        if (section is null)
        {
            return PolicySpec.Heuristic;
        }

        section.RejectUnknown(["name", "latency", "concurrency"]);
        return new PolicySpec(
            section.Choice("name", PolicyNames.Heuristic, PolicyChoices),
            section.Duration("latency", TimeSpan.FromSeconds(1)),
            section.Int("concurrency", 0, 0, int.MaxValue));
    }

    private static readonly Dictionary<string, string> RoutingChoices = LlmRouting.All.ToDictionary(r => r, r => r, StringComparer.Ordinal);

    private static LlmSpec? ReadLlm(YamlSection? section)
    {
        if (section is null)
        {
            return null;
        }

        section.RejectUnknown(["endpoints", "temperature", "max-tokens", "attempts", "timeout", "routing", "cache", "max-failure-share"]);
        var endpoints = section.Strings("endpoints", []);
        foreach (var endpoint in endpoints)
        {
            CheckEndpoint(endpoint, () => section.Error("endpoints", string.Empty));
        }

        var temperature = section.Double("temperature", 0.7);
        if (!(temperature is >= 0 and <= 2))
        {
            throw section.Error("temperature", $"must be in [0, 2] (got {temperature})");
        }

        return new LlmSpec(
            [.. endpoints],
            temperature,
            section.Int("max-tokens", 256, 1, 1_000_000),
            section.Int("attempts", 3, 1, 100),
            section.Duration("timeout", TimeSpan.FromMinutes(2)),
            section.Choice("routing", LlmRouting.Affinity, RoutingChoices),
            section.Bool("cache", true),
            MaxFailureShare(section.Double("max-failure-share", LlmSpec.DefaultMaxFailureShare), () => section.Error("max-failure-share", string.Empty)));
    }

    /// <summary>A failure share must be in [0, 1]; the error lands where <paramref name="where"/> points.</summary>
    private static double MaxFailureShare(double share, Func<ScenarioFileException> where)
    {
        if (share is >= 0 and <= 1)
        {
            return share;
        }

        var place = where();
        throw new ScenarioFileException(place.File, place.Line, place.Column, place.Field, $"must be in [0, 1], a share of the run's LLM calls (got {share.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>Refuses an endpoint address the pool could not use, with the parser's reason at the given place.</summary>
    private static void CheckEndpoint(string endpoint, Func<ScenarioFileException> where)
    {
        try
        {
            Inference.EndpointAddress.Validate(endpoint);
        }
        catch (FormatException ex)
        {
            var place = where();
            throw new ScenarioFileException(place.File, place.Line, place.Column, place.Field, ex.Message);
        }
    }

    private static TopologySpec ReadTopology(YamlSection? section, string file, int agents)
    {
        if (section is null)
        {
            return TopologySpec.None;
        }

        section.RejectUnknown(["kind", "degree", "rewire", "attach", "file"]);
        var kind = section.Choice("kind", TopologyKind.None, TopologyNames);
        var spec = new TopologySpec(
            kind,
            section.Int("degree", 0, 0, 100_000),
            section.Double("rewire", kind == TopologyKind.WattsStrogatz ? 0.1 : 0),
            section.Int("attach", 0, 0, 100_000));

        if (kind == TopologyKind.EdgeList)
        {
            var relative = section.String("file") ?? throw section.Error("file", "an edge-list topology needs a file of edges");
            var path = section.PathRelativeToFile("file", relative);
            try
            {
                spec = spec with { Edges = EdgeListFile.Read(path), Source = path };
            }
            catch (FormatException ex)
            {
                throw section.Error("file", ex.Message);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw section.Error("file", $"cannot read edge list '{path}': {ex.Message}");
            }
        }
        else if (section.Has("file"))
        {
            throw section.Error("file", "only an edge-list topology reads a file");
        }

        var problem = TopologyBuilder.Validate(spec, agents);
        return problem is null ? spec : throw section.Error("kind", problem);
    }

    internal static int Override(string file, string option, int? given, int fallback, int min, int max)
    {
        if (given is not { } value)
        {
            return fallback;
        }

        return value >= min && value <= max
            ? value
            : throw new ScenarioFileException(file, 0, 0, option, $"must be in {min}..{max} (got {value})");
    }
}
