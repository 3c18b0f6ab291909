using AgentSwarm.Abstractions;
using AgentSwarm.Engine.Llm;
using AgentSwarm.Engine.Logging;
using AgentSwarm.Engine.Policies;
using AgentSwarm.Engine.Scenarios;

namespace AgentSwarm.Inference;

/// <summary>Agents decide through an LLM: the scenario's mind writes the prompts and reads the answers; the pool serves the calls.</summary>
public sealed class LlmPolicy(InferenceClient client, IEnumerable<IRunRecorder> recorders) : IAgentPolicy
{
    private readonly IRunRecorder? _recorder = recorders.FirstOrDefault();

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
        ILlmClient llm = client.For(turn.Context.RunId, spec);
        if (turn.Context.Log is { } log && _recorder is not null)
        {
            llm = new LoggedTurnClient(llm, _recorder, turn, log);
        }

        return llmMind.DecideWithLlmAsync(turn, llm, cancellationToken);
    }

    /// <summary>
    /// One turn's calls, numbered in the order the mind makes them: recorded in the run's log, or, for rounds a replay
    /// or resume covers, answered from the log it replays (no backend is called).
    /// </summary>
    private sealed class LoggedTurnClient(ILlmClient inner, IRunRecorder recorder, AgentTurn turn, RunLogSpec log) : ILlmClient
    {
        private int _sequence;

        public async ValueTask<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
        {
            var sequence = _sequence++;
            var runId = turn.Context.RunId;
            if (log.ReplayFrom is not null && turn.Round <= log.ReplayUntil)
            {
                return recorder.Recorded(runId, log, turn.Index, turn.Round, sequence);
            }

            if (log.ReplayFrom is not null && turn.Round == log.ReplayPartial
                && recorder.TryRecorded(runId, log, turn.Index, turn.Round, sequence, out var recorded))
            {
                // Paid for before a silo was lost, and on disk: not paid again.
                return recorded;
            }

            var response = await inner.CompleteAsync(request, cancellationToken);
            if (log.Directory is not null && turn.Round > log.WriteAfter)
            {
                recorder.LlmCall(runId, log, turn.Index, turn.Round, sequence, request, response);
            }

            return response;
        }
    }
}
