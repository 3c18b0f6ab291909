using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Inference;

/// <summary>Agents decide through an LLM: the scenario's mind writes the prompts and reads the answers; the pool serves the calls.</summary>
public sealed class LlmPolicy(InferenceClient client) : IAgentPolicy
{
    public string Name => PolicyNames.Llm;

    /// <summary>LLM calls wait long; enough agents must wait at once to keep every server slot busy.</summary>
    public int DefaultRunConcurrency => 200_000;

    public ValueTask<AgentDecision> DecideAsync(IAgentMind mind, AgentTurn turn, CancellationToken cancellationToken)
    {
        if (mind is not ILlmAgentMind llmMind)
        {
            throw new InvalidOperationException($"scenario '{turn.Context.Scenario}' has no LLM agents: use policy heuristic or random");
        }

        var spec = turn.Context.Policy.Llm
            ?? throw new InvalidOperationException("the llm policy needs at least one endpoint (--llm KIND=ADDRESS)");
        return llmMind.DecideWithLlmAsync(turn, client.For(turn.Context.RunId, spec), cancellationToken);
    }
}
