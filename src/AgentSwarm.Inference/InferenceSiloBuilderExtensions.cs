using AgentSwarm.Engine.Policies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace AgentSwarm.Inference;

public static class InferenceSiloBuilderExtensions
{
    /// <summary>
    /// Registers the llm policy and the inference pool. <paramref name="inferenceRole"/> marks this silo as one that
    /// hosts inference grains (the embedded silo does both); agent-only silos pass false.
    /// </summary>
    public static ISiloBuilder AddAgentSwarmInference(this ISiloBuilder builder, bool inferenceRole = true, Action<InferenceOptions>? configure = null)
    {
        var services = builder.Services;
        services.AddOptions<InferenceOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        builder.UseSiloMetadata(new Dictionary<string, string>
        {
            [InferencePlacementStrategy.RolesKey] = inferenceRole ? $"agents,{InferencePlacementStrategy.InferenceRole}" : "agents",
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BackendFactory>();
        services.TryAddSingleton<InferencePool>();
        services.TryAddSingleton<InferenceClient>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentPolicy, LlmPolicy>());
        services.AddPlacementDirector<InferencePlacementStrategy, InferencePlacementDirector>();
        return builder;
    }
}
