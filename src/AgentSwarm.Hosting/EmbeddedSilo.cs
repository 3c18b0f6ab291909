using System.Net;
using System.Net.Sockets;
using AgentSwarm.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Hosting;

/// <summary>
/// An in-process silo with the engine and every built-in scenario: what `agentswarm run` uses by default. It is the
/// silo host of `agentswarm silo` with localhost clustering on free ports, memory storage and no checkpoints (one
/// process cannot lose a silo and go on).
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedSilo(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    /// <summary>The silo's services (the inference pool, for benchmarks).</summary>
    public IServiceProvider Services => _host.Services;

    /// <param name="settings">Configuration over the embedded defaults (for example <see cref="HostKeys.DirectoryCacheSize"/>); environment variables still override them.</param>
    public static async Task<EmbeddedSilo> StartAsync(LogLevel logLevel, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var (siloSettings, defaults) = Configuration(logLevel, settings);
        var builder = AgentSwarmHost.CreateSiloBuilder(siloSettings, defaults);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedSilo(host);
    }

    /// <summary>An embedded silo's settings (localhost clustering on free loopback ports) and configuration defaults, for any host that embeds one.</summary>
    public static (SiloSettings Settings, Dictionary<string, string?> Defaults) Configuration(LogLevel logLevel, IReadOnlyDictionary<string, string?>? settings = null)
    {
        // Free loopback ports, so several runs (and tests) can share a machine.
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var siloSettings = new SiloSettings
        {
            Cluster = ClusterAddress.Development,
            ClusterId = "embedded-" + siloPort,
            SiloPort = siloPort,
            GatewayPort = gatewayPort,
            PrimarySiloPort = siloPort,
            LogLevel = logLevel,
        };
        var defaults = new Dictionary<string, string?>
        {
            [$"{EngineOptions.Section}:{nameof(EngineOptions.CheckpointEvery)}"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            defaults[key] = value;
        }

        return (siloSettings, defaults);
    }

    // Results are on disk by now and the embedded silo holds nothing durable: do not wait for a million
    // activations to deactivate one by one.
    public ValueTask DisposeAsync() => AgentSwarmHost.StopWithinAsync(_host, TimeSpan.FromSeconds(2));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
