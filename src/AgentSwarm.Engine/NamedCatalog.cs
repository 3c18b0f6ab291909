namespace AgentSwarm.Engine;

/// <summary>Components registered in a silo (scenarios, policies), looked up by the name scenario files use.</summary>
public abstract class NamedCatalog<T>(IEnumerable<T> items, Func<T, string> nameOf, string kind)
{
    private readonly Dictionary<string, T> _byName = items.ToDictionary(nameOf, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public T Get(string name) =>
        _byName.TryGetValue(name, out var item)
            ? item
            : throw new KeyNotFoundException($"unknown {kind} '{name}' (this silo knows: {string.Join(", ", _byName.Keys)})");
}
