using AgentSwarm.Replay;
using System.Net;
using System.Net.Sockets;
using AgentSwarm.Engine;
using AgentSwarm.Inference;
using AgentSwarm.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSwarm.Cli;

/// <summary>An in-process silo with the engine and every built-in scenario: what `agentswarm run` uses by default.</summary>
internal sealed class EmbeddedSilo : IAsyncDisposable
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

    public static async Task<EmbeddedSilo> StartAsync(LogLevel logLevel, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        // Orleans warns about timer delays and GC stalls that a million-agent heap on two cores makes routine: by
        // default show its errors only; --verbose shows everything.
        builder.Logging.AddFilter("Orleans", logLevel <= LogLevel.Information ? LogLevel.Warning : LogLevel.Error);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        // Free loopback ports, so several runs (and tests) can share a machine.
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "agentswarm", clusterId: "embedded-" + siloPort);
            silo.AddAgentSwarmEngine();
            silo.AddAgentSwarmScenarios();
            silo.AddAgentSwarmInference();
            silo.AddAgentSwarmReplay();
        });

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        // Results are on disk by now and the embedded silo holds nothing durable: do not wait for a million
        // activations to deactivate one by one.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping was cut short; the process ends anyway.
        }

        _host.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
