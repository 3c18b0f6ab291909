using AgentSwarm.Engine;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Hosting;

/// <summary>
/// What a silo host is told on its command line. Each setting becomes the standard configuration key it stands for
/// (<c>Orleans:*</c>, <c>AgentSwarm:*</c>) and overrides appsettings.json and environment variables; what it leaves
/// null comes from them, or from the defaults.
/// </summary>
public sealed record SiloSettings
{
    public ClusterAddress? Cluster { get; init; }

    public string? ClusterId { get; init; }

    public string? ServiceId { get; init; }

    /// <summary>Roles this silo takes (agents, inference, console); null: agents and inference.</summary>
    public string? Roles { get; init; }

    public StorageAddress? Storage { get; init; }

    public int? SiloPort { get; init; }

    public int? GatewayPort { get; init; }

    /// <summary>The address other silos and clients reach this one at (default 127.0.0.1: loopback, one machine).</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>localhost clustering: the primary silo's port (default 11111).</summary>
    public int? PrimarySiloPort { get; init; }

    /// <summary>The folder every silo shares for run logs (see <see cref="EngineOptions.LogRoot"/>).</summary>
    public string? LogRoot { get; init; }

    public int? CheckpointEvery { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Where appsettings.json is looked for (default: the working folder).</summary>
    public string? ContentRoot { get; init; }

    /// <summary>
    /// A silo without the console role: serve the health checks (<c>/health</c>: the silo is an active member of its
    /// cluster; <c>/alive</c>: the process answers) on these addresses, ';'-separated, for an orchestrator's probes.
    /// Null: no HTTP at all. A console silo serves them on its own addresses.
    /// </summary>
    public string? HealthUrls { get; init; }

    /// <summary>
    /// Further configuration keys the command line sets, over appsettings.json and environment variables as the
    /// settings above are (the web console's <c>AgentSwarm:Console:*</c>, say).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string?>> More { get; init; } = [];

    /// <summary>The configuration keys these settings set; null settings set none.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Overrides()
    {
        var values = new List<KeyValuePair<string, string?>>();
        if (Cluster is { } cluster)
        {
            values.Add(new(HostKeys.ClusterKind, cluster.Kind));
            values.AddRange(cluster.Settings());
        }

        if (Storage is { } storage)
        {
            values.Add(new(HostKeys.Storage, storage.Kind));
            values.AddRange(storage.Settings());
        }

        Add("Orleans:ClusterId", ClusterId);
        Add("Orleans:ServiceId", ServiceId);
        Add(HostKeys.Roles, Roles);
        Add("Orleans:Endpoints:SiloPort", SiloPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("Orleans:Endpoints:GatewayPort", GatewayPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("Orleans:Endpoints:AdvertisedIPAddress", AdvertisedAddress);
        Add(HostKeys.PrimarySiloPort, PrimarySiloPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add($"{EngineOptions.Section}:{nameof(EngineOptions.LogRoot)}", LogRoot);
        Add($"{EngineOptions.Section}:{nameof(EngineOptions.CheckpointEvery)}", CheckpointEvery?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (key, value) in More)
        {
            Add(key, value);
        }

        return values;

        void Add(string key, string? value)
        {
            if (value is not null)
            {
                values.Add(new(key, value));
            }
        }
    }
}

/// <summary>AgentSwarm's own configuration keys beside Orleans' standard ones.</summary>
public static class HostKeys
{
    /// <summary>Comma-separated roles (default all).</summary>
    public const string Roles = "AgentSwarm:Roles";

    /// <summary>memory, redis or azure-tables; the connection is in Orleans:GrainStorage:agentswarm.</summary>
    public const string Storage = "AgentSwarm:Storage";

    /// <summary>localhost or redis; the connection is in Orleans:Clustering.</summary>
    public const string ClusterKind = "AgentSwarm:Cluster";

    /// <summary>localhost clustering: the primary silo's port.</summary>
    public const string PrimarySiloPort = "AgentSwarm:PrimarySiloPort";

    /// <summary>
    /// Entries of Orleans' grain directory cache (GrainDirectoryOptions.CacheSize; Orleans' default 1,000,000). Placing
    /// an agent caches its address, and deactivating it does not remove the entry, so finished runs' agents stay in
    /// the cache until evicted. A lone silo owns every directory entry and gains nothing from the cache.
    /// </summary>
    public const string DirectoryCacheSize = "AgentSwarm:DirectoryCacheSize";

    /// <summary>
    /// With OTLP export on, also trace every grain call (Orleans' activity propagation). Default false: AgentSwarm's own
    /// run, round and partition spans and the LLM call spans are exported either way.
    /// </summary>
    public const string GrainCallSpans = "AgentSwarm:Telemetry:GrainCallSpans";
}
