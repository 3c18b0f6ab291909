using System.Globalization;
using AgentSwarm.Abstractions;
using AgentSwarm.Hosting;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace AgentSwarm.Cli;

/// <summary>`agentswarm silo`, `runs`, `attach` and `cancel`: a cluster's silos and the runs that live on them.</summary>
internal static class ClusterCommands
{
    /// <summary>Runs a silo until SIGTERM or Ctrl+C, then leaves the cluster gracefully (deactivating what it holds).</summary>
    public static async Task<int> SiloAsync(SiloSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var builder = AgentSwarmHost.CreateSiloBuilder(settings);
        Engine.SiloRoles.TryParse(builder.Configuration[HostKeys.Roles] ?? string.Join(',', Engine.SiloRoles.Default), out var roles);
        if (roles.Contains(Engine.SiloRoles.Console))
        {
            if (settings.HealthUrls is not null)
            {
                await error.WriteLineAsync("error: --health-urls: a silo with the console role serves /health and /alive on its --urls");
                return ExitCodes.BadInput;
            }

            // The console role: the same silo on ASP.NET Core, serving the web console for the whole cluster. Its runs'
            // results go beside their logs unless the console's settings say otherwise.
            var logRoot = builder.Configuration[$"{Engine.EngineOptions.Section}:{nameof(Engine.EngineOptions.LogRoot)}"];
            var defaults = logRoot is null ? null : new Dictionary<string, string?> { [Web.ConsoleOptions.Key(nameof(Web.ConsoleOptions.Runs))] = Path.GetFullPath(logRoot) };
            return await ConsoleCommand.ExecuteAsync(settings, defaults, cluster: true, output, error, cancellationToken);
        }

        IHost host;
        try
        {
            host = AgentSwarmHost.BuildSilo(settings);
            await host.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await error.WriteLineAsync($"error: the silo did not start: {StartFailure(ex, settings)}");
            if (settings.LogLevel <= Microsoft.Extensions.Logging.LogLevel.Information)
            {
                await error.WriteLineAsync(ex.ToString());
            }

            return ExitCodes.Failed;
        }

        var silo = (ILocalSiloDetails)host.Services.GetService(typeof(ILocalSiloDetails))!;
        await output.WriteLineAsync($"silo {silo.SiloAddress} is up: cluster {silo.ClusterId}, gateway {silo.GatewayAddress?.ToString() ?? "none"}, roles {settings.Roles ?? string.Join(',', Engine.SiloRoles.Default)}");
        if (host is Microsoft.AspNetCore.Builder.WebApplication web)
        {
            await output.WriteLineAsync($"health checks: {string.Join(", ", web.Urls.Select(u => u.TrimEnd('/') + "/health"))} and /alive");
        }

        await output.FlushAsync(CancellationToken.None);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM or Ctrl+C: leave gracefully below.
        }

        await output.WriteLineAsync($"silo {silo.SiloAddress} is stopping");
        if (!await AgentSwarmHost.TryStopWithinAsync(host, StopLimit))
        {
            // Typically its membership storage is gone: it could not record that it left, so the other silos will
            // declare it dead after their probes fail, as if it had crashed.
            await error.WriteLineAsync($"warning: the silo did not leave the cluster gracefully within {StopLimit.TotalSeconds:0} s (is its membership storage, {settings.Cluster?.ToString() ?? "the cluster's"}, reachable?); it stopped anyway, and the other silos will declare it dead");
            return ExitCodes.Failed;
        }

        return ExitCodes.Success;
    }

    /// <summary>How long a silo may take to leave the cluster on SIGTERM or Ctrl+C before it stops anyway.</summary>
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(20);

    /// <summary>Why a silo did not start, in one line.</summary>
    public static string StartFailure(Exception ex, SiloSettings? settings = null)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner.GetType().Name == "RedisConnectionException")
            {
                // The client library's text advises a connection-string setting; what a user needs is where it looked.
                var where = new[] { settings?.Cluster?.ToString(), settings?.Storage?.ToString() }.Where(a => a?.StartsWith("redis=", StringComparison.Ordinal) == true).Distinct();
                return $"cannot connect to Redis{(where.Any() ? $" at {string.Join(" and ", where.Select(a => a![6..]))}" : string.Empty)}: nothing answered there (is redis-server running and reachable? --verbose shows the client's details)";
            }
        }

        var message = ex is Microsoft.Extensions.Options.OptionsValidationException validation ? string.Join("; ", validation.Failures) : ex.Message;
        return message.Split('\n')[0].Trim();
    }

    public static async Task<int> ListAsync(ClusterTarget target, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var connection = await target.ConnectAsync(cancellationToken);
        var entries = await connection.Client.GetGrain<IRunRegistryGrain>(IRunRegistryGrain.Key).ListAsync();
        if (entries.Length == 0)
        {
            await output.WriteLineAsync($"no runs in cluster {connection.ClusterId}");
            return ExitCodes.Success;
        }

        await output.WriteLineAsync("run id | state | scenario | agents | rounds done/planned | created (UTC) | controller | partitions by silo | recoveries");
        foreach (var entry in entries)
        {
            var simulation = connection.Client.GetGrain<ISimulationGrain>(entry.RunId);
            var status = await simulation.GetStatusAsync();
            var info = await simulation.GetInfoAsync();
            var bySilo = info is null ? "-" : string.Join(", ", info.PartitionSilos.Select((s, p) => (s, p)).GroupBy(x => x.s).Select(g => $"{g.Key}: {Ranges(g.Select(x => x.p))}"));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{entry.RunId} | {status.State.ToString().ToLowerInvariant()} | {entry.Scenario} | {entry.Agents} | {status.RoundsCompleted}/{entry.Rounds} | {entry.CreatedUtc:yyyy-MM-dd HH:mm:ss} | {info?.ControllerSilo ?? "-"} | {bySilo} | {info?.Recoveries.Length ?? 0}"));
        }

        return ExitCodes.Success;
    }

    public static async Task<int> AttachAsync(ClusterTarget target, string runId, string? outputDirectory, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        await using var connection = await target.ConnectAsync(cancellationToken);
        var simulation = connection.Client.GetGrain<ISimulationGrain>(runId);
        var info = await simulation.GetInfoAsync();
        if (info is null)
        {
            await error.WriteLineAsync($"error: no run '{runId}' in cluster {connection.ClusterId} ('agentswarm runs' lists them)");
            return ExitCodes.BadInput;
        }

        var spec = info.Spec;
        RunFolderClaim? claim = null;
        if (outputDirectory is not null)
        {
            // The folder is this client's while it follows: another attach or run given it is refused.
            (claim, var refused) = await RunCommand.ClaimAsync(Path.GetFullPath(outputDirectory), error, fresh: false);
            if (claim is null)
            {
                return refused;
            }
        }

        using (claim)
        {
            var view = new RunView(console, spec, console.Profile.Capabilities.Interactive);
            var driver = new SimulationDriver(connection.Client) { DetachOnCancel = true, ClusterAnswers = connection.AnyGatewayAnswersAsync };
            using var files = outputDirectory is null ? null : new RunOutput(outputDirectory);
            RunOutcome outcome;
            try
            {
                outcome = await view.ShowAsync(() => driver.FollowAsync(
                    runId,
                    spec.Policy.Name == PolicyNames.Llm,
                    view.OnStatus,
                    round =>
                    {
                        files?.AppendRound(round);
                        view.OnRound(round);
                    },
                    cancellationToken,
                    view.OnLlm));
                files?.WriteSummary(runId, spec, outcome);
            }
            catch (Exception ex) when (ex is ClusterLostException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync(RunCommand.Failure(ex, runId, spec with { Log = null }, outputDirectory ?? "(no output folder)", connection));
                return ExitCodes.Failed;
            }

            view.Finish(outcome, outputDirectory ?? spec.Log?.Directory ?? "(no output folder)");
            return outcome.Final.State switch
            {
                SimulationState.Completed when RunJobs.Degraded(spec, outcome) => ExitCodes.Degraded,
                SimulationState.Completed => ExitCodes.Success,
                SimulationState.Cancelled or SimulationState.Running => ExitCodes.Cancelled,
                _ => ExitCodes.Failed,
            };
        }
    }

    public static async Task<int> CancelAsync(ClusterTarget target, string runId, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var connection = await target.ConnectAsync(cancellationToken);
        var simulation = connection.Client.GetGrain<ISimulationGrain>(runId);
        if (await simulation.GetInfoAsync() is null)
        {
            await error.WriteLineAsync($"error: no run '{runId}' in cluster {connection.ClusterId} ('agentswarm runs' lists them)");
            return ExitCodes.BadInput;
        }

        await simulation.CancelAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        SimulationStatus status;
        do
        {
            status = await simulation.GetStatusAsync();
            if (status.State is not (SimulationState.Running or SimulationState.Pending))
            {
                break;
            }

            await Task.Delay(200, cancellationToken);
        }
        while (DateTime.UtcNow < deadline);
        await output.WriteLineAsync($"run {runId}: {status.State.ToString().ToLowerInvariant()} after {status.RoundsCompleted} rounds");
        return status.State is SimulationState.Running or SimulationState.Pending ? ExitCodes.Failed : ExitCodes.Success;
    }

    private static string Ranges(IEnumerable<int> partitions)
    {
        var sorted = partitions.Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }

        return string.Join(",", parts);
    }
}
