namespace AgentSwarm.Engine.Scenarios;

/// <summary>The scenarios registered in this silo, by name.</summary>
public sealed class ScenarioCatalog(IEnumerable<IScenario> scenarios)
{
    private readonly Dictionary<string, IScenario> _byName = scenarios.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IScenario Get(string name) =>
        _byName.TryGetValue(name, out var scenario)
            ? scenario
            : throw new KeyNotFoundException($"unknown scenario '{name}' (this silo knows: {string.Join(", ", _byName.Keys)})");
}
