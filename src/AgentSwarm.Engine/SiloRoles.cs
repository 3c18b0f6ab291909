using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace AgentSwarm.Engine;

/// <summary>What a silo may host: <c>agents</c> (partitions and their agents), <c>inference</c> (inference grains), <c>console</c>.</summary>
public static class SiloRoles
{
    /// <summary>Silo metadata key listing a silo's roles, comma-separated (<c>agents,inference</c>).</summary>
    public const string Key = "agentswarm.roles";

    public const string Agents = "agents";
    public const string Inference = "inference";
    public const string Console = "console";

    public static IReadOnlyList<string> All { get; } = [Agents, Inference, Console];

    /// <summary>What a silo hosts when not told: agents and inference. The console listens on a port, so it is asked for by name.</summary>
    public static IReadOnlyList<string> Default { get; } = [Agents, Inference];

    /// <summary>Parses a comma-separated role list; returns a message naming the problem, or null.</summary>
    public static string? TryParse(string? text, out string[] roles)
    {
        roles = [.. (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.ToLowerInvariant()).Distinct()];
        if (roles.Length == 0)
        {
            return $"no roles given (known: {string.Join(", ", All)})";
        }

        var unknown = roles.FirstOrDefault(r => !All.Contains(r));
        return unknown is null ? null : $"unknown role '{unknown}' (known: {string.Join(", ", All)})";
    }

    /// <summary>Whether a silo's metadata lists the role. A silo without role metadata (a test cluster) hosts every role.</summary>
    public static bool Has(ISiloMetadataCache metadata, SiloAddress silo, string role) =>
        !metadata.GetSiloMetadata(silo).Metadata.TryGetValue(Key, out var roles)
        || roles.Split(',', StringSplitOptions.TrimEntries).Contains(role, StringComparer.OrdinalIgnoreCase);

    /// <summary>Publishes this silo's roles in its membership metadata, where placement on every silo reads them.</summary>
    public static ISiloBuilder AddAgentSwarmRoles(this ISiloBuilder builder, IEnumerable<string> roles)
    {
        builder.UseSiloMetadata(new Dictionary<string, string> { [Key] = string.Join(',', roles) });
        return builder;
    }
}

/// <summary>
/// Places partitions and run controllers on silos with the <c>agents</c> role: partitions spread by index over them in
/// address order, so P partitions on S silos give each silo P/S of them; a controller (keyed by its run id) by a stable
/// hash of its id, so runs spread too. A console- or inference-only silo, the kind an operator restarts, then holds no
/// part of a run. Where no silo says it has the role, on any silo.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class AgentsPlacementStrategy : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class AgentsPlacementAttribute() : PlacementAttribute(new AgentsPlacementStrategy());

internal sealed class AgentsPlacementDirector(IServiceProvider services) : IPlacementDirector
{
    private readonly ISiloMetadataCache? _metadata = services.GetService<ISiloMetadataCache>();

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        var agents = _metadata is null ? compatible : compatible.Where(s => SiloRoles.Has(_metadata, s, SiloRoles.Agents)).ToArray();
        if (agents.Length == 0)
        {
            agents = compatible;
        }

        Array.Sort(agents, static (a, b) => string.CompareOrdinal(a.ToParsableString(), b.ToParsableString()));
        var slot = target.GrainIdentity.TryGetIntegerKey(out var index, out _) ? (ulong)index : target.GrainIdentity.GetUniformHashCode();
        return Task.FromResult(agents[(int)(slot % (ulong)agents.Length)]);
    }
}
