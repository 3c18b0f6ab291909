using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace AgentSwarm.Hosting;

/// <summary>
/// Ready when this silo is an active member of its cluster (Orleans' membership says so); joining, shutting down or
/// declared dead is unhealthy, with its status named. Part of <c>/health</c>, not of <c>/alive</c>.
/// </summary>
internal sealed class SiloHealthCheck(ISiloStatusOracle oracle) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = oracle.CurrentStatus;
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {oracle.SiloAddress} is active")
            : HealthCheckResult.Unhealthy($"silo {oracle.SiloAddress} is {status}"));
    }
}
