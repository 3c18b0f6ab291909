using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Engine.Llm;

/// <summary>How an agent's mind reaches the inference pool. Never throws for a failed call: the response says so.</summary>
public interface ILlmClient
{
    ValueTask<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken);
}

/// <summary>A mind that can be driven by an LLM: the scenario owns the prompts, the parsing and the fallbacks.</summary>
public interface ILlmAgentMind : IAgentMind
{
    ValueTask<AgentDecision> DecideWithLlmAsync(AgentTurn turn, ILlmClient llm, CancellationToken cancellationToken);
}

/// <summary>
/// The simulated backend's stand-in for a model's judgement on one scenario's calls: it writes the text a model
/// would, from the request (and its <see cref="LlmHint"/>). Scenarios register one per task prefix they use.
/// </summary>
public interface ISimulatedResponder
{
    /// <summary>Hint tasks this responder answers start with this prefix (<c>guess.</c>).</summary>
    string TaskPrefix { get; }

    /// <summary>The model's answer text. <paramref name="random"/> is seeded from the request, so answers repeat.</summary>
    string Respond(LlmRequest request, ref AgentRandom random);
}
