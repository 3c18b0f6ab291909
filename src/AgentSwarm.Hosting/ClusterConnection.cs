using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace AgentSwarm.Hosting;

/// <summary>A client's connection to a cluster of `agentswarm silo` processes.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host, ClusterAddress address, string clusterId)
    {
        _host = host;
        Address = address;
        ClusterId = clusterId;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    public ClusterAddress Address { get; }

    public string ClusterId { get; }

    /// <summary>
    /// Connects, retrying until <paramref name="wait"/> has passed; then fails with a message that says where it
    /// looked (an unreachable Redis, a cluster id no silo uses, no silo up yet).
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, string? clusterId, string? serviceId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(AgentSwarmHost.Defaults);
        builder.Configuration.AddEnvironmentVariables();
        var overrides = address.Settings().ToList();
        if (clusterId is not null)
        {
            overrides.Add(new("Orleans:ClusterId", clusterId));
        }

        if (serviceId is not null)
        {
            overrides.Add(new("Orleans:ServiceId", serviceId));
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        AgentSwarmHost.ConfigureLogging(builder.Logging, LogLevel.Critical);
        var effectiveClusterId = builder.Configuration["Orleans:ClusterId"]!;
        var deadline = DateTime.UtcNow + wait;
        string? lastProblem = null;
        builder.UseOrleansClient(client =>
        {
            if (address.Kind == ClusterAddress.Localhost)
            {
                var gateway = int.Parse(builder.Configuration["Orleans:Endpoints:GatewayPort"]!, System.Globalization.CultureInfo.InvariantCulture);
                client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, gateway));
            }

            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.UseConnectionRetryFilter(async (exception, token) =>
            {
                lastProblem = exception.Message;
                if (DateTime.UtcNow >= deadline)
                {
                    return false;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), token);
                return true;
            });
        });

        var host = builder.Build();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait + TimeSpan.FromSeconds(5));
            await host.StartAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            var detail = lastProblem ?? ex.Message;
            throw new ClusterUnreachableException(
                $"no silo of cluster '{effectiveClusterId}' answered at {address} within {wait.TotalSeconds:0} s ({detail.Split('\n')[0].Trim()})");
        }

        return new ClusterConnection(host, address, effectiveClusterId);
    }

    /// <summary>
    /// Whether any gateway the cluster lists accepts a connection now. A client whose calls keep failing asks this to
    /// tell a lost silo (the cluster recovers, another gateway answers) from a lost cluster (none answers).
    /// </summary>
    public async Task<bool> AnyGatewayAnswersAsync(CancellationToken cancellationToken)
    {
        IList<Uri> gateways;
        try
        {
            using var listing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            listing.CancelAfter(TimeSpan.FromSeconds(2));
            gateways = await _host.Services.GetRequiredService<Orleans.Messaging.IGatewayListProvider>().GetGateways().WaitAsync(listing.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Membership itself (Redis) does not answer: nothing can be followed either.
            return false;
        }

        foreach (var gateway in gateways)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ConnectAsync(gateway.Host, gateway.Port, attempt.Token);
                return true;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // This gateway is gone; try the next.
            }
        }

        return false;
    }

    /// <summary>Whether an exception says the client lost its connection to the cluster (a silo or the gateway went).</summary>
    public static bool IsConnectionLost(Exception exception) =>
        exception is ClusterLostException || exception.GetType().Name == "ConnectionAbortedException" || IsSiloGone(exception)
        || exception.InnerException is { } inner && IsConnectionLost(inner);

    /// <summary>Whether an exception (not its inner ones) says a silo the call needed is gone: its own, or the gateway.</summary>
    public static bool IsSiloGone(Exception exception) =>
        exception is SiloUnavailableException or OrleansMessageRejectionException || exception.GetType().Name == "ConnectionFailedException";

    public ValueTask DisposeAsync() => AgentSwarmHost.StopWithinAsync(_host, TimeSpan.FromSeconds(5));
}

/// <summary>
/// A client following a run lost the whole cluster: no gateway answered for a while. The run itself lives on in the
/// cluster's storage and goes on when a silo comes back.
/// </summary>
public sealed class ClusterLostException(string runId, TimeSpan silent) : Exception($"no silo of the cluster answered for {silent.TotalSeconds:0} s")
{
    public string RunId { get; } = runId;

    public TimeSpan Silent { get; } = silent;
}

/// <summary>The cluster could not be reached: the message says where the client looked and what it heard.</summary>
public sealed class ClusterUnreachableException(string message) : Exception(message);
