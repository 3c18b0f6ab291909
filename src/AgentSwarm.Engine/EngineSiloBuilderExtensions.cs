using AgentSwarm.Engine.Grains;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;
using Orleans.Storage;

namespace AgentSwarm.Engine;

public static class EngineSiloBuilderExtensions
{
    /// <summary>
    /// Registers the engine's grains' services: the scenario and policy catalogs, the built-in policies, partition
    /// placement on agent silos, and each silo's run watchdog. Run records and checkpoints go to the grain storage
    /// named <see cref="EngineOptions.StorageName"/>; where the host registered none by then, to memory.
    /// </summary>
    public static ISiloBuilder AddAgentSwarmEngine(this ISiloBuilder builder, Action<EngineOptions>? configure = null)
    {
        var services = builder.Services;
        services.AddOptions<EngineOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, EngineOptions.StorageName)))
        {
            builder.AddMemoryGrainStorage(EngineOptions.StorageName);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ScenarioCatalog>();
        services.TryAddSingleton<PolicyCatalog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentPolicy, HeuristicPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentPolicy, RandomPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentPolicy, DummyLatencyPolicy>());
        services.AddPlacementDirector<AgentsPlacementStrategy, AgentsPlacementDirector>();
        services.AddHostedService<RunWatchdog>();
        return builder;
    }
}
