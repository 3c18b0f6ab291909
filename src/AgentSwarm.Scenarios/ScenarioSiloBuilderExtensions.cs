using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Scenarios;
using AgentSwarm.Scenarios.GuessTwoThirds;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentSwarm.Scenarios;

public static class ScenarioSiloBuilderExtensions
{
    /// <summary>Registers every built-in scenario with the engine.</summary>
    public static ISiloBuilder AddAgentSwarmScenarios(this ISiloBuilder builder)
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IScenario, GuessTwoThirdsScenario>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IScenario, AgentsNet.AgentsNetScenario>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IScenario, SwarmBench.SwarmBenchScenario>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISimulatedResponder, GuessSimulatedResponder>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISimulatedResponder, AgentsNet.AgentsNetSimulatedResponder>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ISimulatedResponder, SwarmBench.SwarmSimulatedResponder>());
        return builder;
    }
}
