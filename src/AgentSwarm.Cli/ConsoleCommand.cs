using AgentSwarm.Hosting;
using AgentSwarm.Web;

namespace AgentSwarm.Cli;

/// <summary>
/// `agentswarm console` (an embedded silo) and `agentswarm silo --roles ...,console` (a cluster member): start the silo
/// with the web console, print its link, serve until Ctrl+C or SIGTERM, then stop (runs the console started are
/// cancelled on an embedded silo; on a cluster they go on).
/// </summary>
internal static class ConsoleCommand
{
    /// <summary>
    /// Serves the console with the settings in the silo's configuration (<see cref="ConsoleOptions.Section"/>), the
    /// command line's (<see cref="SiloSettings.More"/>) over them, until Ctrl+C or SIGTERM.
    /// </summary>
    public static async Task<int> ExecuteAsync(SiloSettings settings, IReadOnlyDictionary<string, string?>? defaults, bool cluster, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ConsoleServer server;
        try
        {
            server = await ConsoleServer.StartAsync(settings, cluster, defaults, cancellationToken);
        }
        catch (ConsoleProblem problem)
        {
            await error.WriteLineAsync($"error: {problem.Message}");
            return ExitCodes.BadInput;
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"error: --urls: cannot listen: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await error.WriteLineAsync($"error: the silo did not start: {ClusterCommands.StartFailure(ex, settings)}");
            return ExitCodes.Failed;
        }

        var options = server.Options;
        await using (server)
        {
            await output.WriteLineAsync($"AgentSwarm console: {server.Link}");
            if (server.TokenGenerated)
            {
                await output.WriteLineAsync("  (not a loopback address, so it needs an access token: this one was generated; --token chooses one)");
            }

            if (options.Cluster && server.Services.GetService(typeof(ILocalSiloDetails)) is ILocalSiloDetails silo)
            {
                await output.WriteLineAsync($"  silo {silo.SiloAddress} of cluster {silo.ClusterId}, gateway {silo.GatewayAddress?.ToString() ?? "none"}, roles {settings.Roles}");
            }

            if (server.ResourceServiceAddress is { } resources)
            {
                await output.WriteLineAsync($"  Aspire resource service: {resources} (give the Aspire dashboard Dashboard__ResourceServiceClient__Url={resources}"
                    + (options.Token is null ? " and Dashboard__ResourceServiceClient__AuthMode=Unsecured)" : ", AuthMode=ApiKey and ApiKey=the token)"));
            }

            await output.WriteLineAsync($"  scenarios from {Path.GetFullPath(options.Scenarios)}, runs into {Path.GetFullPath(options.Runs)}; Ctrl+C stops it");
            await output.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop below.
            }

            await output.WriteLineAsync("AgentSwarm console is stopping");
        }

        return ExitCodes.Success;
    }
}
