using AgentSwarm.Hosting;

namespace AgentSwarm.Cli;

/// <summary>The cluster a client command talks to: its address and ids, and how long to wait for it.</summary>
internal sealed record ClusterTarget(ClusterAddress Address, string? ClusterId, string? ServiceId, TimeSpan Wait)
{
    public Task<ClusterConnection> ConnectAsync(CancellationToken cancellationToken) =>
        ClusterConnection.ConnectAsync(Address, ClusterId, ServiceId, Wait, cancellationToken);
}
