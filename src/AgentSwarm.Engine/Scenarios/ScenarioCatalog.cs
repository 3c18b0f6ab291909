namespace AgentSwarm.Engine.Scenarios;

/// <summary>The scenarios registered in this silo, by name.</summary>
public sealed class ScenarioCatalog(IEnumerable<IScenario> scenarios)
    : NamedCatalog<IScenario>(scenarios, s => s.Name, "scenario");
