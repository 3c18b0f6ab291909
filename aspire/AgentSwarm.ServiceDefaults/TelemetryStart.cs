using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentSwarm.ServiceDefaults;

/// <summary>
/// When a host that exports telemetry starts, records its start as a span (<c>agentswarm.host.start</c>) and sends
/// that span and the first metrics at once, waiting (a bounded time) until they are sent. The first export is when
/// the runtime compiles the exporters' code, a few thousand methods (docs/benchmarks.md, "Where OTLP's cost is"): done
/// here, it is paid while the host starts instead of during its first run, where it competed with the agents for the
/// cores. It also tells at start whether the collector answers.
/// </summary>
internal sealed class TelemetryStart(IServiceProvider services) : IHostedService
{
    /// <summary>How long start-up waits for the first export; an unreachable collector costs no more than this.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(3);

    private static readonly ActivitySource Source = new(ServiceDefaultsExtensions.AgentSwarm);

    public Task StartAsync(CancellationToken cancellationToken) => Task.Run(Export, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Export()
    {
        using (var span = Source.StartActivity("agentswarm.host.start", ActivityKind.Internal))
        {
            span?.SetTag("process.pid", Environment.ProcessId);
        }

        var clock = Stopwatch.StartNew();
        int Left() => Math.Max(0, (int)(Limit - clock.Elapsed).TotalMilliseconds);
        services.GetService<TracerProvider>()?.ForceFlush(Left());
        services.GetService<MeterProvider>()?.ForceFlush(Left());
        services.GetService<LoggerProvider>()?.ForceFlush(Left());
    }
}
