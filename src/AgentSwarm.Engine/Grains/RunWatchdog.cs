using AgentSwarm.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentSwarm.Engine.Grains;

/// <summary>
/// On every silo: wakes the controller of each unfinished run every few seconds. A controller lives only while its
/// silo does; when that silo is lost, the next wake-up activates the controller on a surviving silo, where it reads
/// its durable record and picks the run up without anyone's help.
/// </summary>
internal sealed partial class RunWatchdog(IGrainFactory grains, IOptions<EngineOptions> options, TimeProvider time, ILogger<RunWatchdog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.WatchdogInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                var registry = grains.GetGrain<IRunRegistryGrain>(IRunRegistryGrain.Key);
                foreach (var runId in await registry.ActiveAsync().WaitAsync(interval * 5, time, stoppingToken))
                {
                    await grains.GetGrain<ISimulationGrain>(runId).EnsureRunningAsync().WaitAsync(interval * 5, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A silo is being lost or the cluster is starting: the next pass tries again.
                LogPassFailed(logger, ex.GetType().Name, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run watchdog: pass failed ({Kind}: {Message}); trying again")]
    private static partial void LogPassFailed(ILogger logger, string kind, string message);
}
