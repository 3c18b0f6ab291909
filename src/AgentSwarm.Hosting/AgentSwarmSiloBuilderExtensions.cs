using System.Net;
using AgentSwarm.Engine;
using AgentSwarm.Inference;
using AgentSwarm.Replay;
using AgentSwarm.Scenarios;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace AgentSwarm.Hosting;

public static class AgentSwarmSiloBuilderExtensions
{
    /// <summary>
    /// Everything an AgentSwarm silo runs, set up from configuration: the engine and its options
    /// (<c>AgentSwarm:Engine</c>), the built-in scenarios, the inference pool, the event log, the silo's roles
    /// (<c>AgentSwarm:Roles</c>), run storage (<c>Orleans:GrainStorage:agentswarm</c>, memory when absent),
    /// localhost clustering when <c>Orleans:Clustering</c> names no provider, and membership tuned to notice a lost
    /// silo in seconds (<c>Orleans:Membership</c> overrides it).
    /// </summary>
    public static ISiloBuilder AddAgentSwarm(this ISiloBuilder builder, IConfiguration configuration)
    {
        var problem = SiloRoles.TryParse(configuration[HostKeys.Roles] ?? string.Join(',', SiloRoles.Default), out var roles);
        if (problem is not null)
        {
            throw new InvalidOperationException($"{HostKeys.Roles}: {problem}");
        }

        if (configuration[$"Orleans:Clustering:ProviderType"] is null)
        {
            var siloPort = Port(configuration, "Orleans:Endpoints:SiloPort", 11111);
            var gatewayPort = Port(configuration, "Orleans:Endpoints:GatewayPort", 30000);
            var primary = Port(configuration, HostKeys.PrimarySiloPort, 11111);
            builder.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, primary),
                configuration["Orleans:ServiceId"] ?? "agentswarm", configuration["Orleans:ClusterId"] ?? "agentswarm");
        }

        if (configuration[$"Orleans:GrainStorage:{EngineOptions.StorageName}:ProviderType"] is null)
        {
            builder.AddMemoryGrainStorage(EngineOptions.StorageName);
        }

        var services = builder.Services;

        // Grain state in Orleans' binary form, whatever the store (memory, Redis): Orleans' default is Newtonsoft JSON,
        // which boxed every number of a run's record on each round's write (a 1M-node AgentsNet spec carries 1M names and
        // 4M edge ends), and spent a quarter of such a run's CPU there.
        services.AddSingleton<Orleans.Storage.IGrainStorageSerializer>(sp => new Orleans.Storage.OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()));
        services.AddOptions<ClusterMembershipOptions>()
            .Configure(o =>
            {
                // Orleans' defaults take 10-20 s to declare a killed silo dead; a run waits on that, so probe every
                // second and give up on a silo after 3 missed probes: about 3-5 s, still tolerant of a GC pause.
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 3;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(20);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
            })
            .Bind(configuration.GetSection("Orleans:Membership"));

        if (configuration[HostKeys.DirectoryCacheSize] is { } cacheText)
        {
            var cacheSize = int.TryParse(cacheText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) && size > 0
                ? size
                : throw new InvalidOperationException($"{HostKeys.DirectoryCacheSize}: '{cacheText}' is not a positive number of entries");
            services.AddOptions<GrainDirectoryOptions>().Configure(o => o.CacheSize = cacheSize);
        }

        builder.AddAgentSwarmRoles(roles);
        builder.AddAgentSwarmEngine();
        services.AddOptions<EngineOptions>().Bind(configuration.GetSection(EngineOptions.Section));
        builder.AddAgentSwarmScenarios();
        builder.AddAgentSwarmInference(inferenceRole: null);
        services.AddOptions<InferenceOptions>().Bind(configuration.GetSection("AgentSwarm:Inference"));
        builder.AddAgentSwarmReplay();
        return builder;
    }

    private static int Port(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"{key}: '{text}' is not a port (1..65535)");
    }
}
