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

    /// <summary>
    /// Agents in flight per call an endpoint takes at once (its <c>parallel</c>: a server's slots, twice the GPU's slots
    /// for a simulated one), when the run does not say (see <see cref="RunConcurrency"/>). The pool lets twice that
    /// past admission; the third share waits there, ready. Measured at 100,000 agents on 4 simulated H100s: 2 gave
    /// 96.4-96.7 % of capacity at 73 us of CPU a call, 3 gave 98.0-98.2 % at 79-86 us, 4 gave 98.0-98.2 % at 88-92 us.
    /// </summary>
    public const int AgentsPerSlot = 3;

    /// <summary>
    /// Enough agents in flight to keep every endpoint's calls going with more waiting, and no more: an agent
    /// launched far ahead of its call's turn builds its prompt and request early and holds them (and its call's
    /// awaiting stages) through the whole queue, and a hundred thousand such calls make every collection expensive.
    /// </summary>
    public int RunConcurrency(PolicySpec spec, bool packed)
    {
        if (spec.Llm is not { Endpoints.Length: > 0 } llm)
        {
            return DefaultRunConcurrency;
        }

        long slots = 0;
        foreach (var endpoint in llm.Endpoints)
        {
            try
            {
                slots += EndpointAddress.Parse(endpoint).Parallel;
            }
            catch (FormatException)
            {
                // The pool reports a bad address when the first call is made.
                return DefaultRunConcurrency;
            }
        }

        return (int)Math.Clamp(AgentsPerSlot * slots, 1, DefaultRunConcurrency);
    }

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
