using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentSwarm.Engine;

public static class EngineSiloBuilderExtensions
{
    /// <summary>Registers the engine's grains' services: the scenario and policy catalogs and the built-in policies.</summary>
    public static ISiloBuilder AddAgentSwarmEngine(this ISiloBuilder builder, Action<EngineOptions>? configure = null)
    {
        var services = builder.Services;
        services.AddOptions<EngineOptions>();
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
        return builder;
    }
}
