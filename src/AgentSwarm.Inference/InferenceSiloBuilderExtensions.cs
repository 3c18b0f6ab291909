using AgentSwarm.Engine;
using AgentSwarm.Engine.Policies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace AgentSwarm.Inference;

public static class InferenceSiloBuilderExtensions
{
    /// <summary>
    /// Registers the llm policy and the inference pool. <paramref name="inferenceRole"/> publishes this silo's roles as
    /// agents plus inference (true; the embedded silo does both) or agents only (false); null leaves the roles to the
    /// host, which publishes them with <see cref="Engine.SiloRoles.AddAgentSwarmRoles"/>.
    /// </summary>
    public static ISiloBuilder AddAgentSwarmInference(this ISiloBuilder builder, bool? inferenceRole = true, Action<InferenceOptions>? configure = null)
    {
        var services = builder.Services;
        services.AddOptions<InferenceOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>());
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (inferenceRole is { } both)
        {
            builder.AddAgentSwarmRoles(both ? [SiloRoles.Agents, SiloRoles.Inference] : [SiloRoles.Agents]);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRunResources, InferenceRunResources>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BackendFactory>();
        services.TryAddSingleton<InferencePool>();
        services.TryAddSingleton<InferenceClient>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentPolicy, LlmPolicy>());
        services.AddPlacementDirector<InferencePlacementStrategy, InferencePlacementDirector>();
        return builder;
    }
}
