using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSwarm.Inference;

/// <summary>Places a grain on a silo whose metadata lists the <c>inference</c> role; where none does, on the caller's silo.</summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class InferencePlacementStrategy : PlacementStrategy
{
    /// <summary>Silo metadata key listing a silo's roles, comma-separated (<c>agents,inference</c>).</summary>
    public const string RolesKey = Engine.SiloRoles.Key;

    public const string InferenceRole = Engine.SiloRoles.Inference;
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class InferencePlacementAttribute() : PlacementAttribute(new InferencePlacementStrategy());

internal sealed class InferencePlacementDirector(IServiceProvider services) : IPlacementDirector
{
    private readonly ISiloMetadataCache? _metadata = services.GetService<ISiloMetadataCache>();

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (_metadata is not null)
        {
            var inference = compatible.Where(HasInferenceRole).ToArray();
            if (inference.Length > 0)
            {
                // Spread a run's shards over the inference silos by key, so shards of one run land on different silos.
                var index = (int)((uint)target.GrainIdentity.GetUniformHashCode() % (uint)inference.Length);
                return Task.FromResult(inference[index]);
            }
        }

        return Task.FromResult(compatible.Contains(context.LocalSilo) ? context.LocalSilo : compatible[Random.Shared.Next(compatible.Length)]);
    }

    private bool HasInferenceRole(SiloAddress silo) =>
        _metadata!.GetSiloMetadata(silo).Metadata.TryGetValue(InferencePlacementStrategy.RolesKey, out var roles)
        && roles.Split(',', StringSplitOptions.TrimEntries).Contains(InferencePlacementStrategy.InferenceRole, StringComparer.OrdinalIgnoreCase);
}
