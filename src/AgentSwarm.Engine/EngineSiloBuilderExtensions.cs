using AgentSwarm.Engine.Grains;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;

namespace AgentSwarm.Engine;

public static class EngineSiloBuilderExtensions
{
    /// <summary>
    /// Registers the engine's grains' services: the scenario and policy catalogs, the built-in policies, partition
    /// placement on agent silos, and each silo's run watchdog. Run records and checkpoints go to the grain storage
    /// named <see cref="EngineOptions.StorageName"/>, which the host registers (memory for one process).
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
